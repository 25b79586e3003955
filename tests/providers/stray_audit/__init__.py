"""A provider package whose manifest declares an audit action outside its own key."""
