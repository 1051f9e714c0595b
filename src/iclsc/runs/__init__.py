"""What an unattended run needs around its steps: one run at a time, logs, a summary."""
