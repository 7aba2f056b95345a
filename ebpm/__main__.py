from ebpm.cli import main

if __name__ == "__main__":  # not again in a render worker (spawn re-imports the main module)
    raise SystemExit(main())
