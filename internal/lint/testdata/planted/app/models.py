import os, sys
from dataclasses import dataclass


@dataclass
class User:
    name: str
    age: int

    def greet(self)->str:
        unused = 1
        return "hello " + self.age
