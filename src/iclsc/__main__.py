from iclsc.cli import main

raise SystemExit(main())
