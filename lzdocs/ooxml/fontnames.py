"""The fonts and 字号 of 公文, by name: for code that writes WordprocessingML with lxml and need not load python-docx
(a letter's layout); :mod:`lzdocs.ooxml.fonts` sets them on python-docx runs."""

# 字号 (Chinese point-size names) → points, as GB/T 9704 uses them.
SIZES = {"初号": 42, "小初": 36, "一号": 26, "小一": 24, "二号": 22, "小二": 18, "三号": 16, "小三": 15,
         "四号": 14, "小四": 12, "五号": 10.5, "小五": 9}

# Font names as Word/WPS know them, with the Latin font used beside each.
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
LATIN = "Times New Roman"
