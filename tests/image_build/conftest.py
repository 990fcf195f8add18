"""Tests of image_build/: the device image's build scripts and the files it installs (no image is
built here: `make image` does that)."""
