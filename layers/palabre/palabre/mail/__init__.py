"""Email: rendering (Jinja2 + css-inline), MIME building and sending through SES v2."""
