"""Language processing over stored articles."""
