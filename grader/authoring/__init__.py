"""The instructor's tools over the course: stubs (release), the student bundle, notebooks, the
recording of visible checks, validation and mutation testing."""
