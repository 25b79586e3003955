"""A provider package whose manifest declares a capability its provider lacks."""
