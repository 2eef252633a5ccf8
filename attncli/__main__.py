"""`python -m attncli` runs the same command line as `attn`."""

from attncli.cli import main

if __name__ == "__main__":
    main()
