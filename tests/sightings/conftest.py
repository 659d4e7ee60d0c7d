import pytest

from canary.sightings.matcher import DecoyTokens, Matcher

DECOYS = [
    DecoyTokens(1, "SF1234567890123", "+8613800138000", "张三丰", "翠竹苑7栋1203"),
    DecoyTokens(2, "YT7000000000001", "+8613800138000", "李四光", ""),
    DecoyTokens(3, "773123456789012", "+8613912345678", "王五", ""),
    DecoyTokens(4, "JT0000000000777", "+8615011112222", "张伟明", "桃源路88弄"),
    DecoyTokens(5, "JT0000000000778", "+8615033334444", "张小龙", ""),
    DecoyTokens(6, "JT0000000000779", "+8615055556666", "张国荣", ""),
    DecoyTokens(7, "JT0000000000780", "+8615077778888", "张学友", ""),
]


@pytest.fixture(scope="session")
def matcher() -> Matcher:
    return Matcher.build(DECOYS)
