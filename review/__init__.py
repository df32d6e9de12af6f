"""The analysts' review web app (`brief serve`): read an incident with its evidence, correct it, approve
it, export it (docs/review.md)."""
