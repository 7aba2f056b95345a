from ebpm.cli import main

raise SystemExit(main())
