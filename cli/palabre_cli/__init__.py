"""The `palabre` command: validate and upload admin files, run the local stack."""
