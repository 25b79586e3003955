"""A provider package whose provider implements a capability its manifest does not declare."""
