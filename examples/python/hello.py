import sys, platform
print(f"hello from python {platform.python_version()} as uid {__import__('os').getuid()}")
sys.exit(0)
