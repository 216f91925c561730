"""A virtual Homevolt: the documented local API served from a model battery."""
