"""The local stack: moto's server for AWS, wired to the handlers as template.yaml wires them."""
