from cardguard.cli import main

raise SystemExit(main())
