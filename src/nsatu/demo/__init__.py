"""The demo scenario built from public facts (`python -m nsatu.demo.build`) and its catalog checks."""
