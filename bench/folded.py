"""Summarise py-spy's folded stacks (``-f raw``): where the samples are, by function.

    .venv/bin/python bench/folded.py PROFILE.txt [--top 40] [--match herald]

Prints each function's share of samples *inclusive* (on the stack) and *self* (at its
top), so a profile of a whole process reads in a terminal without a flame-graph viewer.
"""

from __future__ import annotations

import argparse
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only functions whose frame has this")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(args.path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            n = int(count)
            total += n
            frames = stack.split(";")
            for frame in set(frames):
                inclusive[frame] += n
            own[frames[-1]] += n
    print(f"{total} samples")
    print("inclusive:")
    for frame, n in inclusive.most_common():
        if args.match in frame:
            print(f"  {n / total:6.1%}  {frame}")
            args.top -= 1
            if args.top <= 0:
                break
    print("self:")
    for frame, n in own.most_common(25):
        print(f"  {n / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
