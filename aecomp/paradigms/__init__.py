"""Training paradigms: which modules train in which phase, and how losses combine."""
