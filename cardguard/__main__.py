from cardguard.cli import main

if __name__ == "__main__":  # not when a spawned worker process of `audit` imports it as __mp_main__
    raise SystemExit(main())
