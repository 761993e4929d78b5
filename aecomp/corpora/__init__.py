"""One module per corpus: prepare(corpus_dir, out_dir) writes data directories."""
