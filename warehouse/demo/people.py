"""Synthetic cardholders: names, national IDs, card numbers, phones and addresses, vectorised.

Everything here is made up but well formed, so the warehouse's validation and masking see what a
real card system sends:

- national IDs follow GB 11643-1999: a real 6-digit administrative code, a birth date, a 3-digit
  sequence and the ISO 7064 MOD 11-2 check character (`X` for 10);
- card numbers are 16-digit UnionPay numbers (BIN 62xxxx) with a Luhn check digit;
- mobiles are `1[3-9]` + 9 digits, unique per customer.

`Issuer` keeps the numbers unique across every batch of accounts a bank opens (the opening book,
then each month's new accounts).
"""

from __future__ import annotations

import numpy as np
import polars as pl

# (administrative code, city, province, branch): real district-level codes from GB/T 2260.
REGIONS: list[tuple[int, str, str, str]] = [
    (110105, "Beijing", "Beijing", "Beijing Chaoyang"),
    (110108, "Beijing", "Beijing", "Beijing Chaoyang"),
    (120101, "Tianjin", "Tianjin", "Beijing Chaoyang"),
    (130102, "Shijiazhuang", "Hebei", "Beijing Chaoyang"),
    (140105, "Taiyuan", "Shanxi", "Beijing Chaoyang"),
    (210102, "Shenyang", "Liaoning", "Beijing Chaoyang"),
    (230103, "Harbin", "Heilongjiang", "Beijing Chaoyang"),
    (310104, "Shanghai", "Shanghai", "Shanghai Pudong"),
    (310115, "Shanghai", "Shanghai", "Shanghai Pudong"),
    (320106, "Nanjing", "Jiangsu", "Nanjing Gulou"),
    (320505, "Suzhou", "Jiangsu", "Nanjing Gulou"),
    (330106, "Hangzhou", "Zhejiang", "Hangzhou Xihu"),
    (330203, "Ningbo", "Zhejiang", "Hangzhou Xihu"),
    (340104, "Hefei", "Anhui", "Nanjing Gulou"),
    (350102, "Fuzhou", "Fujian", "Hangzhou Xihu"),
    (350203, "Xiamen", "Fujian", "Hangzhou Xihu"),
    (360103, "Nanchang", "Jiangxi", "Wuhan Wuchang"),
    (370102, "Jinan", "Shandong", "Nanjing Gulou"),
    (370202, "Qingdao", "Shandong", "Nanjing Gulou"),
    (410105, "Zhengzhou", "Henan", "Wuhan Wuchang"),
    (420106, "Wuhan", "Hubei", "Wuhan Wuchang"),
    (430104, "Changsha", "Hunan", "Wuhan Wuchang"),
    (440106, "Guangzhou", "Guangdong", "Guangzhou Tianhe"),
    (440304, "Shenzhen", "Guangdong", "Shenzhen Futian"),
    (440305, "Shenzhen", "Guangdong", "Shenzhen Futian"),
    (441900, "Dongguan", "Guangdong", "Guangzhou Tianhe"),
    (450103, "Nanning", "Guangxi", "Guangzhou Tianhe"),
    (500103, "Chongqing", "Chongqing", "Chengdu Wuhou"),
    (510107, "Chengdu", "Sichuan", "Chengdu Wuhou"),
    (520102, "Guiyang", "Guizhou", "Chengdu Wuhou"),
    (530102, "Kunming", "Yunnan", "Chengdu Wuhou"),
    (610113, "Xi'an", "Shaanxi", "Chengdu Wuhou"),
]
# Relative population weights of the regions above (bigger cities carry more cardholders).
REGION_WEIGHTS = np.array(
    [
        5,
        5,
        3,
        2,
        1.5,
        2,
        1.5,
        5,
        6,
        3,
        3,
        4,
        2,
        2,
        1.5,
        1.5,
        1.2,
        2,
        2,
        2.5,
        3,
        2.5,
        5,
        5,
        4,
        2,
        1.2,
        3,
        4,
        1,
        1.2,
        2.5,
    ],
    dtype=float,
)
BRANCHES = sorted({r[3] for r in REGIONS})

SURNAMES: list[tuple[str, str, float]] = [
    ("王", "wang", 7.1),
    ("李", "li", 7.0),
    ("张", "zhang", 6.7),
    ("刘", "liu", 5.4),
    ("陈", "chen", 4.5),
    ("杨", "yang", 3.1),
    ("黄", "huang", 2.2),
    ("赵", "zhao", 2.1),
    ("吴", "wu", 2.0),
    ("周", "zhou", 1.9),
    ("徐", "xu", 1.6),
    ("孙", "sun", 1.5),
    ("马", "ma", 1.4),
    ("朱", "zhu", 1.3),
    ("胡", "hu", 1.3),
    ("郭", "guo", 1.2),
    ("何", "he", 1.2),
    ("高", "gao", 1.1),
    ("林", "lin", 1.1),
    ("罗", "luo", 0.9),
    ("郑", "zheng", 0.9),
    ("梁", "liang", 0.9),
    ("谢", "xie", 0.8),
    ("宋", "song", 0.7),
    ("唐", "tang", 0.7),
    ("许", "xu", 0.7),
    ("韩", "han", 0.7),
    ("冯", "feng", 0.7),
    ("邓", "deng", 0.7),
    ("曹", "cao", 0.6),
    ("彭", "peng", 0.6),
    ("曾", "zeng", 0.6),
    ("肖", "xiao", 0.6),
    ("田", "tian", 0.5),
    ("董", "dong", 0.5),
    ("袁", "yuan", 0.5),
    ("潘", "pan", 0.5),
    ("于", "yu", 0.5),
    ("蒋", "jiang", 0.5),
    ("蔡", "cai", 0.5),
    ("余", "yu", 0.5),
    ("杜", "du", 0.5),
    ("叶", "ye", 0.4),
    ("程", "cheng", 0.4),
    ("苏", "su", 0.4),
    ("魏", "wei", 0.4),
    ("吕", "lv", 0.4),
    ("丁", "ding", 0.4),
    ("任", "ren", 0.4),
    ("沈", "shen", 0.4),
]
GIVEN_NAMES: list[str] = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂英",
    "建华",
    "志强",
    "海燕",
    "晓东",
    "文静",
    "立新",
    "永刚",
    "淑珍",
    "金凤",
    "慧敏",
    "子轩",
    "欣怡",
    "梓涵",
    "雨萱",
    "思远",
    "嘉怡",
    "晨阳",
    "博文",
    "俊杰",
    "佳琪",
    "诗涵",
    "一诺",
    "浩宇",
    "皓轩",
    "铭泽",
    "天佑",
    "若汐",
    "语桐",
    "心怡",
    "宏亮",
    "春梅",
    "丹丹",
    "建国",
    "国强",
    "玉兰",
    "丽华",
    "志明",
    "晓燕",
    "红梅",
    "建军",
    "海涛",
    "小红",
    "婷婷",
    "雪",
    "鑫",
    "宇",
    "浩",
    "倩",
    "颖",
    "琳",
    "洁",
    "斌",
    "波",
    "辉",
    "刚",
    "平",
    "华",
    "鹏",
    "飞",
    "振华",
    "家豪",
    "雅琴",
    "秀兰",
    "玉珍",
    "德明",
    "文博",
    "梦瑶",
]
EMAIL_DOMAINS = [
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "outlook.com",
    "gmail.com",
    "foxmail.com",
]
MOBILE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        134,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        153,
        155,
        156,
        157,
        158,
        159,
        166,
        176,
        177,
        178,
        180,
        181,
        182,
        183,
        184,
        185,
        186,
        187,
        188,
        189,
        191,
        198,
        199,
    ],
    dtype=np.int64,
)
CARD_BINS = np.array([622588, 622609, 625911, 628288], dtype=np.int64)

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def luhn_ok(number: str) -> bool:
    """True when a card number passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) array of the decimal digits of non-negative ints, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % 10


def _ymd(days: np.ndarray) -> np.ndarray:
    """Epoch days -> YYYYMMDD ints."""
    dt = days.astype("datetime64[D]")
    years = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    return years * 10000 + months * 100 + mdays


def national_id_numbers(
    rng: np.random.Generator,
    region_codes: np.ndarray,
    birth_days: np.ndarray,
    male: np.ndarray,
    taken: np.ndarray | None = None,
) -> np.ndarray:
    """The first 17 digits of unique national IDs, none of them in `taken` (sorted: the numbers
    issued before)."""
    n = len(region_codes)
    head = region_codes.astype(np.int64) * 10**8 + _ymd(birth_days)
    # Sequence: 3 digits, odd for men, even for women (the 17th digit carries the sex).
    seq = rng.integers(0, 500, n, dtype=np.int64) * 2 + male.astype(np.int64)
    base = head * 1000 + seq
    for _ in range(50):
        _, first = np.unique(base, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False  # the first of each value keeps it
        if taken is not None and taken.size:
            at = np.minimum(np.searchsorted(taken, base), taken.size - 1)
            dup |= taken[at] == base
        if not dup.any():
            break
        k = int(dup.sum())
        seq[dup] = rng.integers(0, 500, k, dtype=np.int64) * 2 + male[dup].astype(np.int64)
        base = head * 1000 + seq
    return base


def national_id_text(numbers: np.ndarray) -> pl.Series:
    """18-character national IDs: the 17 digits and the GB 11643 check character."""
    check = (_digits(numbers, 17) * _ID_WEIGHTS[None, :]).sum(axis=1) % 11
    checks = pl.Series(list(_ID_CHECK)).gather(check.astype(np.uint32))
    return pl.Series(numbers).cast(pl.Utf8) + checks


def _bijection(index: np.ndarray, modulus: int, multiplier: int, offset: int) -> np.ndarray:
    """A permutation of range(modulus) evaluated at `index` (multiplier coprime with modulus)."""
    return (index.astype(np.int64) * multiplier + offset) % modulus


def card_numbers(rng: np.random.Generator, index: np.ndarray, offset: int) -> pl.Series:
    """Unique 16-digit UnionPay card numbers (BIN 62....) passing the Luhn check: the serial is
    a permutation of the account's slot, so one `offset` keeps every slot's number distinct."""
    n = len(index)
    bins = CARD_BINS[rng.integers(0, len(CARD_BINS), n)]
    serial = _bijection(index, 10**9, 387420489, offset)
    payload = bins * 10**9 + serial  # 15 digits
    digits = _digits(payload, 15)
    # From the right of the payload, positions 0, 2, 4 ... are doubled (the check digit follows).
    doubled = np.zeros(15, dtype=bool)
    doubled[::-1][0::2] = True
    d = digits.copy()
    d[:, doubled] *= 2
    d[d > 9] -= 9
    check = (10 - d.sum(axis=1) % 10) % 10
    return pl.Series(payload * 10 + check).cast(pl.Utf8)


def mobiles(rng: np.random.Generator, index: np.ndarray, offset: int) -> np.ndarray:
    """Unique 11-digit mobile numbers as int64 (a permutation of the slot, as card numbers)."""
    n = len(index)
    prefix = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)]
    rest = _bijection(index, 10**8, 43046721, offset)  # 3^16, coprime with 10
    return prefix * 10**8 + rest


def random_mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)]
    return prefix * 10**8 + rng.integers(0, 10**8, n, dtype=np.int64)


def names(rng: np.random.Generator, n: int) -> tuple[pl.Series, np.ndarray]:
    """Chinese names (surname + given name) and the index of each surname."""
    weights = np.array([s[2] for s in SURNAMES])
    sur = rng.choice(len(SURNAMES), n, p=weights / weights.sum())
    given = rng.integers(0, len(GIVEN_NAMES), n)
    surnames = pl.Series([s[0] for s in SURNAMES]).gather(sur.astype(np.uint32))
    givens = pl.Series(GIVEN_NAMES).gather(given.astype(np.uint32))
    return surnames + givens, sur


def emails(rng: np.random.Generator, surname_index: np.ndarray) -> pl.Series:
    """QQ-style numeric mailboxes, or pinyin surname + digits at a common provider."""
    n = len(surname_index)
    qq = rng.random(n) < 0.35
    pinyin = pl.Series([s[1] for s in SURNAMES]).gather(surname_index.astype(np.uint32))
    digits = pl.Series(rng.integers(1, 99999, n)).cast(pl.Utf8)
    qq_number = pl.Series(rng.integers(10**5, 3 * 10**9, n)).cast(pl.Utf8)
    domain = pl.Series(EMAIL_DOMAINS[1:]).gather(
        rng.integers(0, len(EMAIL_DOMAINS) - 1, n).astype(np.uint32)
    )
    frame = pl.DataFrame(
        {"qq": qq, "pinyin": pinyin, "digits": digits, "qqn": qq_number, "domain": domain}
    )
    return frame.select(
        pl.when(pl.col("qq"))
        .then(pl.col("qqn") + pl.lit("@qq.com"))
        .otherwise(pl.col("pinyin") + pl.col("digits") + pl.lit("@") + pl.col("domain"))
    ).to_series()


class Issuer:
    """The numbers one bank hands out, unique across every account it ever opens however many
    batches they come in: card numbers and mobiles permute the account's slot with offsets fixed
    for the bank; a national ID that clashes with one issued before is drawn again."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.card_offset = int(rng.integers(0, 10**9))
        self.mobile_offset = int(rng.integers(0, 10**8))
        self._id_bases = np.zeros(0, dtype=np.int64)  # first 17 digits issued, sorted

    def national_ids(
        self,
        rng: np.random.Generator,
        region_codes: np.ndarray,
        birth_days: np.ndarray,
        male: np.ndarray,
    ) -> pl.Series:
        numbers = national_id_numbers(rng, region_codes, birth_days, male, self._id_bases)
        new = np.sort(numbers)
        self._id_bases = np.insert(self._id_bases, np.searchsorted(self._id_bases, new), new)
        return national_id_text(numbers)

    def card_numbers(self, rng: np.random.Generator, index: np.ndarray) -> pl.Series:
        return card_numbers(rng, index, self.card_offset)

    def mobiles(self, rng: np.random.Generator, index: np.ndarray) -> np.ndarray:
        return mobiles(rng, index, self.mobile_offset)
