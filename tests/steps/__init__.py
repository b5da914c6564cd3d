"""Library tests of the steps (listclean.steps): a package, so that their names may repeat tests/cli's."""
