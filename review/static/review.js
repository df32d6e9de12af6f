// Progressive enhancement for the review pages: a click on a citation shows the cited words inside
// the source article in a side panel, instead of opening the article page. Text is only ever set with
// textContent: scraped text never becomes markup.
"use strict";

(function () {
  var panel = null;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function close() {
    if (panel) {
      panel.remove();
      panel = null;
    }
  }

  function show(link) {
    var start = parseInt(link.getAttribute("data-start"), 10);
    var end = parseInt(link.getAttribute("data-end"), 10);
    // the article page's own path (so a prefix the app is served under is kept), as JSON
    fetch(new URL(link.getAttribute("href"), window.location.href).pathname + ".json", {
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (article) {
        close();
        panel = element("aside", "evidence-panel");
        panel.setAttribute("role", "dialog");
        panel.setAttribute("aria-label", "evidence");
        var head = element("div", "evidence-head");
        head.appendChild(element("strong", null, article.title || "(untitled)"));
        var meta = [article.outlet, article.language, (article.published || "").slice(0, 10), "#" + article.id];
        head.appendChild(element("div", "article-meta", meta.filter(Boolean).join(" · ")));
        var button = element("button", "small close", "Close");
        button.type = "button";
        button.addEventListener("click", close);
        head.appendChild(button);
        var page = element("a", "small", "Open the article page");
        page.href = link.getAttribute("href");
        head.appendChild(page);
        panel.appendChild(head);
        var body = element("div", "text");
        var text = article.text || "";
        body.appendChild(document.createTextNode(text.slice(0, start)));
        var mark = element("mark", null, text.slice(start, end));
        body.appendChild(mark);
        body.appendChild(document.createTextNode(text.slice(end)));
        panel.appendChild(body);
        document.body.appendChild(panel);
        mark.scrollIntoView({ block: "center" });
      })
      .catch(function () {
        window.location.href = link.getAttribute("href");
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.cite") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    show(link);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close();
  });
})();
