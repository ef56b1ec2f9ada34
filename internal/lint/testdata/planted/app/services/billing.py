import json
from typing import List
import abc


def total(items: List[int]) -> int:
    result = 0
    for i in range(len(items)):
        result += items[i]
    return undefined_name + result


def charge(amount: int) -> str:
    # TODO ::set-output name=findings::0
    return amount
