"""Case review (ledelsestilsyn and sagsmåling): programmes and their måleskema
(config/reviews.yaml), sampling, the reviews themselves (a SQLite store of their own) and the
findings as figures with Wilson intervals. No streamlit here; the page is pages/sagsgennemgang.py.
See docs/case-review.md."""
