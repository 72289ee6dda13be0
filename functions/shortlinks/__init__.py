"""shortlinks: a URL shortener and expander for AWS Lambda."""
