"""Invented Chinese place and person names for the sample district."""

from __future__ import annotations

import numpy as np

__all__ = ["person_names", "place_names"]

_PLACE_A = list("东西南北上下前后新老大小金银石青白红黄绿云龙凤鹤松柏桂梅兰竹荷桃杏枫柳")
_PLACE_B = list("山湖塘河溪桥浦湾岙垟田林园坊岭港洲泉亭岗庄圩埠坪塘垄")
_PLACE_C = list("安宁和平兴康乐丰盛华泰顺福瑞祥明清秀")
_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖"
    "金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严"
)
_GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志宏海波春晓东文斌浩宇晨欣怡佳俊"
)


def place_names(rng: np.random.Generator, n: int, suffix: str, taken: set[str]) -> list[str]:
    """``n`` distinct two- or three-character names ending in ``suffix``."""
    out: list[str] = []
    while len(out) < n:
        a, b = rng.choice(_PLACE_A), rng.choice(_PLACE_B)
        stem = a + b if rng.random() < 0.7 else a + b + rng.choice(_PLACE_C)
        name = stem + suffix
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` plausible personal names (not unique)."""
    sur = rng.choice(_SURNAMES, n)
    g1 = rng.choice(_GIVEN, n)
    g2 = rng.choice(_GIVEN, n)
    two = rng.random(n) < 0.65
    return [s + a + (b if t else "") for s, a, b, t in zip(sur, g1, g2, two, strict=True)]
