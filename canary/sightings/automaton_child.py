"""Build one literal automaton in a process of its own. Pure: no Django.

Reads newline-separated patterns on standard input and writes the serialised daachorse automaton
to standard output. :mod:`canary.sightings.prefilter` runs it (``python -P`` with this file's
path, so nothing of the project is imported) to build the GB18030 automaton of a big matcher on
the second core while it builds the UTF-8 one.
"""

import sys

import daachorse


def main() -> None:
    patterns = sys.stdin.buffer.read().split(b"\n")
    sys.stdout.buffer.write(daachorse.DoubleArrayAhoCorasick(patterns).serialize())


if __name__ == "__main__":
    main()
