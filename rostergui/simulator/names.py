"""Personal names in many scripts for the simulated rosters.

Real rosters are full of names that break naive code: diacritics, CJK and
Hangul without spaces, family-name-first ordering, right-to-left scripts,
apostrophes and hyphens. Generated members draw from these tables so every
demo and test exercises them. Each name carries an ASCII form used to build
plausible e-mail addresses.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Letters that NFKD does not decompose into ASCII.
_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ß": "ss",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ı": "i",
        "œ": "oe",
    }
)


def ascii_fold(text: str) -> str:
    """Return a lower-case ASCII form of a Latin-script name for e-mail local parts."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    kept = "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum()))
    return kept.lower()


@dataclass(frozen=True, slots=True)
class Locale:
    """One naming tradition: name parts plus how a full name is assembled."""

    code: str
    given: tuple[tuple[str, str], ...]
    family: tuple[tuple[str, str], ...]
    family_first: bool = False
    separator: str = " "

    def full_name(self, given: str, family: str) -> str:
        """Assemble the display name the way this tradition writes it."""
        if self.family_first:
            return f"{family}{self.separator}{given}"
        return f"{given}{self.separator}{family}"


def _latin(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, ascii_fold(name)) for name in names)


def _pairs(*items: str) -> tuple[tuple[str, str], ...]:
    """Parse ``native|romanised`` items for non-Latin scripts."""
    out: list[tuple[str, str]] = []
    for item in items:
        native, roman = item.split("|", 1)
        out.append((native, roman.lower()))
    return tuple(out)


LOCALES: tuple[Locale, ...] = (
    Locale(
        "en",
        _latin(
            "Emma",
            "Liam",
            "Olivia",
            "Noah",
            "Ava",
            "Ethan",
            "Sophia",
            "Mason",
            "Grace",
            "Logan",
            "Mia",
            "Lucas",
            "Harper",
            "Jack",
            "Amelia",
            "Owen",
        ),
        _latin(
            "Smith",
            "Johnson",
            "Williams",
            "Brown",
            "O'Connor",
            "Miller",
            "Davis",
            "Smith-Jones",
            "Taylor",
            "Anderson",
            "McAllister",
            "Moore",
            "D'Angelo",
            "Jackson",
            "van der Berg",
            "White",
        ),
    ),
    Locale(
        "es",
        _latin(
            "José",
            "María",
            "Lucía",
            "Álvaro",
            "Sofía",
            "Martín",
            "Camila",
            "Diego",
            "Valentina",
            "Mateo",
        ),
        _latin(
            "García",
            "Núñez",
            "Rodríguez",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Fernández",
            "Díaz",
        ),
    ),
    Locale(
        "fr",
        _latin(
            "Zoé",
            "Chloé",
            "Léa",
            "Hélène",
            "Théo",
            "Benoît",
            "François",
            "Noël",
            "Margaux",
            "Étienne",
            "Anaïs",
            "Jérôme",
        ),
        _latin(
            "Lefèvre",
            "Dubois",
            "Moreau",
            "Laurent",
            "Girard",
            "Rousseau",
            "Fournier",
            "Mercier",
            "Bonnet",
            "Lambert",
            "Bélanger",
            "Côté",
        ),
    ),
    Locale(
        "de",
        _latin(
            "Jürgen",
            "Björn",
            "Lena",
            "Jonas",
            "Mia",
            "Lukas",
            "Anna",
            "Felix",
            "Greta",
            "Maximilian",
        ),
        _latin(
            "Müller",
            "Schröder",
            "Weiß",
            "Groß",
            "Köhler",
            "Bauer",
            "Hoffmann",
            "Schäfer",
            "Krüger",
            "Wagner",
        ),
    ),
    Locale(
        "nordic",
        _latin(
            "Søren",
            "Åsa",
            "Lars",
            "Ingrid",
            "Mikael",
            "Freyja",
            "Eirik",
            "Sigrid",
            "Ólafur",
            "Þóra",
        ),
        _latin(
            "Lindqvist",
            "Halvorsen",
            "Nyström",
            "Østergaard",
            "Bjørnstad",
            "Ångström",
            "Kierkegaard",
            "Håkansson",
        ),
    ),
    Locale(
        "pl",
        _latin(
            "Łukasz", "Małgorzata", "Paweł", "Zofia", "Wojciech", "Agnieszka", "Jędrzej", "Bożena"
        ),
        _latin("Nowak", "Wójcik", "Kowalczyk", "Mazur", "Krawczyk", "Kaczmarek"),
    ),
    Locale(
        "tr",
        _latin("Çağlar", "Gülşen", "Ömer", "Şükrü", "Ayşe", "İlker"),
        _latin("Öztürk", "Yılmaz", "Çelik", "Şahin", "Doğan", "Aydın"),
    ),
    Locale(
        "vi",
        _latin("Văn An", "Thị Lan", "Minh Tuấn", "Thu Hà", "Quốc Bảo", "Ngọc Anh"),
        _latin("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ"),
        family_first=True,
    ),
    Locale(
        "zh",
        _pairs(
            "小明|Xiaoming",
            "丽华|Lihua",
            "伟|Wei",
            "静|Jing",
            "子涵|Zihan",
            "浩然|Haoran",
            "欣怡|Xinyi",
            "俊杰|Junjie",
        ),
        _pairs(
            "王|Wang", "李|Li", "张|Zhang", "刘|Liu", "陈|Chen", "杨|Yang", "黄|Huang", "赵|Zhao"
        ),
        family_first=True,
        separator="",
    ),
    Locale(
        "ja",
        _pairs(
            "花子|Hanako",
            "太郎|Taro",
            "陽翔|Haruto",
            "結衣|Yui",
            "蓮|Ren",
            "葵|Aoi",
            "大翔|Hiroto",
            "美咲|Misaki",
        ),
        _pairs(
            "佐藤|Sato",
            "鈴木|Suzuki",
            "高橋|Takahashi",
            "田中|Tanaka",
            "伊藤|Ito",
            "渡辺|Watanabe",
            "山本|Yamamoto",
            "中村|Nakamura",
        ),
        family_first=True,
    ),
    Locale(
        "ko",
        _pairs("민준|Minjun", "서연|Seoyeon", "지호|Jiho", "하은|Haeun", "도윤|Doyun", "수아|Sua"),
        _pairs("김|Kim", "이|Lee", "박|Park", "최|Choi", "정|Jung", "강|Kang"),
        family_first=True,
        separator="",
    ),
    Locale(
        "el",
        _pairs(
            "Αλέξανδρος|Alexandros",
            "Γιώργος|Giorgos",
            "Νίκος|Nikos",
            "Κώστας|Kostas",
            "Δημήτρης|Dimitris",
            "Γιάννης|Giannis",
        ),
        _pairs(
            "Παπαδόπουλος|Papadopoulos",
            "Οικονόμου|Oikonomou",
            "Γεωργίου|Georgiou",
            "Βασιλείου|Vasileiou",
            "Νικολάου|Nikolaou",
            "Καραγιάννης|Karagiannis",
        ),
    ),
    Locale(
        "uk",
        _pairs(
            "Олександр|Oleksandr",
            "Олена|Olena",
            "Дмитро|Dmytro",
            "Ірина|Iryna",
            "Андрій|Andriy",
            "Оксана|Oksana",
        ),
        _pairs(
            "Шевченко|Shevchenko",
            "Коваленко|Kovalenko",
            "Бондаренко|Bondarenko",
            "Ткаченко|Tkachenko",
            "Кравченко|Kravchenko",
            "Мельник|Melnyk",
        ),
    ),
    Locale(
        "ar",
        _pairs(
            "محمد|Mohammed",
            "فاطمة|Fatima",
            "أحمد|Ahmed",
            "ليلى|Layla",
            "يوسف|Youssef",
            "مريم|Maryam",
        ),
        _pairs(
            "الأحمد|Alahmad",
            "الحسن|Alhassan",
            "منصور|Mansour",
            "حداد|Haddad",
            "خوري|Khoury",
            "النجار|Alnajjar",
        ),
    ),
    Locale(
        "hi",
        _pairs(
            "प्रिया|Priya",
            "राहुल|Rahul",
            "अनन्या|Ananya",
            "अर्जुन|Arjun",
            "दीपिका|Deepika",
            "विक्रम|Vikram",
        ),
        _pairs("शर्मा|Sharma", "वर्मा|Verma", "पटेल|Patel", "गुप्ता|Gupta", "सिंह|Singh", "जोशी|Joshi"),
    ),
    Locale(
        "ga",
        _latin("Siobhán", "Aoife", "Niamh", "Seán", "Pádraig", "Oisín"),
        _latin(
            "Ó Briain", "Mac Cárthaigh", "Ó Súilleabháin", "Breathnach", "Ó Ceallaigh", "de Búrca"
        ),
    ),
)

LOCALES_BY_CODE: dict[str, Locale] = {loc.code: loc for loc in LOCALES}
