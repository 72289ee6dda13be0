"""Run the Lambda handlers on this machine, exactly as template.yaml wires them, without AWS or Docker."""
