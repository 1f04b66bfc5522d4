"""``python -m offerledger``: the command line, as the ``offerledger`` script runs it."""

from offerledger.cli import main

if __name__ == "__main__":
    main()
