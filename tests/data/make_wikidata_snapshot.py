"""Write tests/data/wikidata-snapshot.ttl: a small Wikidata-shaped graph that stands in for the
Wikidata query service in kzkg's offline tests (and for `kzkg enrich` when producing the graph
shipped in data/enrichment/).

Nothing here is recalled from memory. Every value below was copied by hand from one public file
that is itself derived from Wikidata; each group of values names that file (repository, path and
the commit that was read). Where a source gave a value without a language tag, the tag used here
is the one the *field name* gives (e.g. ``"ru": ...`` in a translations table, ``dv_has_name_ru``,
``kk:`` in a names table); values whose language the file does not state are left out.

The snapshot is *not* a copy of Wikidata: the live service may hold other labels (for instance a
Russian label "Россия" where the source file gives the UN name "Российская Федерация"). Its only
claim is that each triple is what the named file says. Run ``python tests/data/make_wikidata_snapshot.py``
to regenerate the Turtle file; the output is deterministic.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "wikidata-snapshot.ttl"
SNAPSHOT = "https://w3id.org/kzkg/id/source/wikidata-snapshot"
CREATED = "2026-11-22"
CC_BY_SA_4 = "https://creativecommons.org/licenses/by-sa/4.0/"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"

# --------------------------------------------------------------------------------------------
# The files read (repository, path, commit), what was taken from each, and its licence as far as
# the file itself states one.
SOURCES: dict[str, dict[str, str]] = {
    "dr5hn-cities-kz": {
        "repo": "dr5hn/countries-states-cities-database",
        "path": "contributions/cities/KZ.json",
        "commit": "004e4e5cad54ab05dbea896d7257a0d205e702f5",
        "used": "name (English label), translations.ru (Russian label), native (local name, given as "
        "the Kazakh label only where it is written with Kazakh-only letters), latitude/longitude "
        "(wdt:P625), wikiDataId, country_code KZ (wdt:P17 wd:Q232), state_id (wdt:P131, through "
        "the state's wikiDataId in states.json). Rows were used only where name and wikiDataId "
        "agree with the entity: the file repeats some ids on neighbouring rows.",
        "licence_note": "The file states no licence; see the repository's own licence.",
    },
    "dr5hn-states": {
        "repo": "dr5hn/countries-states-cities-database",
        "path": "contributions/states/states.json",
        "commit": "00ac197722d294677892da062b09a8b65ac78d3c",
        "used": "Kazakhstan's first-level divisions (ids 141-156): name (English alias), translations.ru, "
        "native, latitude/longitude, wikiDataId, iso3166_2, country_code KZ.",
        "licence_note": "The file states no licence; see the repository's own licence.",
    },
    "spoc-kazakhstan": {
        "repo": "SpocWiki/_Standards",
        "path": "Earth/Continent/Asia/Asia~Central/Kazakhstan.md",
        "commit": "000f52e192ea275b73b7d0dc42fb1504e5633cee",
        "used": "has_id_wikidata; names table (en, ru, kk, kk_latn); official_name; instance_of; "
        "coordinate_location; member_of; capital; head_of_state; office_held_by_head_of_state; "
        "contains_the_administrative_territorial_entity; replaces; diplomatic_relation (English "
        "labels of the linked items, as the page's WD~Label,Qid link texts give them).",
        "licence": CC_BY_SA_4,
    },
    "spoc-uzbekistan": {
        "repo": "SpocWiki/_Standards",
        "path": "Earth/Continent/Asia/Asia~Central/Uzbekistan.md",
        "commit": "000f52e192ea275b73b7d0dc42fb1504e5633cee",
        "used": "has_id_wikidata; names table (en, ru, kk); instance_of; location (lat, lon).",
        "licence": CC_BY_SA_4,
    },
    "spoc-kyrgyzstan": {
        "repo": "SpocWiki/_Standards",
        "path": "Earth/Continent/Asia/Asia~Central/Kyrgyzstan.md",
        "commit": "096a9ba26271398c9ed1cd1cb9441dc31c6a3486",
        "used": "has_id_wikidata; dv_has_name_en, dv_has_name_ru; instance_of; coordinate_location.",
        "licence": CC_BY_SA_4,
    },
    "spoc-tajikistan": {
        "repo": "SpocWiki/_Standards",
        "path": "Earth/Continent/Asia/Asia~Central/Tajikistan.md",
        "commit": "0629ad79efa6d849f6a889061327b071ac9eb2f6",
        "used": "has_id_wikidata; name-en, name-ru; instance of; coordinate location.",
        "licence": CC_BY_SA_4,
    },
    "spoc-russia": {
        "repo": "SpocWiki/_Standards",
        "path": "Earth/Continent/Europe/Europe~East/Russia.md",
        "commit": "096a9ba26271398c9ed1cd1cb9441dc31c6a3486",
        "used": "has_id_wikidata; dv_has_name (English label), dv_has_name_en, dv_has_name_ru; location (lat, lon).",
        "licence": CC_BY_SA_4,
    },
    "spoc-belarus": {
        "repo": "SpocWiki/_Standards",
        "path": "Earth/Continent/Europe/Europe~East/Belarus.md",
        "commit": "096a9ba26271398c9ed1cd1cb9441dc31c6a3486",
        "used": "has_id_wikidata; dv_has_name_en, dv_has_name_ru; instance_of; coordinate_location.",
        "licence": CC_BY_SA_4,
    },
    "spoc-armenia": {
        "repo": "SpocWiki/_Standards",
        "path": "Earth/Continent/Asia/Asia~North~West/Armenia.md",
        "commit": "0629ad79efa6d849f6a889061327b071ac9eb2f6",
        "used": "has_id_wikidata; name-en, name-ru; instance of; coordinate location.",
        "licence": CC_BY_SA_4,
    },
    "spoc-csto": {
        "repo": "SpocWiki/_Standards",
        "path": "Earth/Continent/Asia/Asia~Central/CSTO(Collective_Security_Treaty_Organization).md",
        "commit": "1d5c53f8ebd42d95e4fb0ad78270cb32a52b3a14",
        "used": "has_id_wikidata; name; aliases; instance_of; coordinate_location; headquarters_location; "
        "inception; official_website; official_name (Russian, as the page's abstract says); "
        "native_label (the Kazakh one is the only value written with Kazakh-only letters).",
        "licence": CC_BY_SA_4,
    },
    "spoc-hrw": {
        "repo": "SpocWiki/_Standards",
        "path": (
            "Society/Agent/Community/Organization/International_Organization/"
            "NGO(non-governmental_organization)/Human_Rights_Watch.md"
        ),
        "commit": "33fe7f0871ab4a52ef00b08103f17dc379a1b7ce",
        "used": (
            "has_id_wikidata; aliases; short_name; instance_of; country; headquarters_locations; inception; "
            "official_website."
        ),
        "licence": CC_BY_SA_4,
    },
    "ep-kz-groups": {
        "repo": "everypolitician/everypolitician-data",
        "path": "data/Kazakhstan/Assembly/sources/wikidata/groups.json",
        "commit": "18bddb254f21d9276a650511e021db714ca79a6b",
        "used": "identifiers (wikidata); name; other_names with lang and source wikidata-label / "
        "wikidata-alias (copied from Wikidata, which is CC0); links (website).",
        "licence": CC0,
        "licence_note": (
            "Values marked source: wikidata-label / wikidata-alias in the file, i.e. Wikidata's (CC0) labels."
        ),
    },
}

# --------------------------------------------------------------------------------------------
# Items. Each entry: the Q-id and, per source key, the values that source gave.
#   label/alias: {lang: [strings]}; P625: (longitude, latitude) as the source gives them;
#   P31/P17/P131/...: Q-ids; P571: ISO date; P856: URL.
ITEMS: list[dict] = [
    # ---- countries -----------------------------------------------------------------------
    {
        "id": "Q232",
        "from": {
            "spoc-kazakhstan": {
                "label": {"en": ["Kazakhstan"], "ru": ["Казахстан"], "kk": ["Қазақстан"], "kk-latn": ["Qazaqstan"]},
                "alias": {
                    "en": ["the Republic of Kazakhstan"],
                    "ru": ["Республика Казахстан"],
                    "kk": ["Қазақстан Республикасы"],
                },
                "P31": ["Q123480", "Q179164", "Q1323642", "Q3624078", "Q6256"],
                "P625": ("68.0", "48.0"),
                "P463": ["Q318693"],
                "P36": ["Q1520"],
                "P35": ["Q200881"],
                "P1906": ["Q5256775"],
                "P150": ["Q186466", "Q238931", "Q485322", "Q485437", "Q486657", "Q1520", "Q35493"],
                "P1365": ["Q168811", "Q15180"],
                "P530": ["Q265", "Q399", "Q30", "Q148", "Q159", "Q184"],
            }
        },
    },
    {
        "id": "Q265",
        "from": {
            "spoc-uzbekistan": {
                "label": {"en": ["Uzbekistan"], "ru": ["Узбекистан"], "kk": ["Өзбекстан"]},
                "alias": {"en": ["the Republic of Uzbekistan"], "ru": ["Республика Узбекистан"]},
                "P31": ["Q123480", "Q3624078", "Q6256"],
                "P625": ("69.3", "41.33"),  # the page's `location: [41.33, 69.3]` (lat, lon)
            }
        },
    },
    {
        "id": "Q813",
        "from": {
            "spoc-kyrgyzstan": {
                "label": {"en": ["Kyrgyzstan"], "ru": ["Кыргызстан"]},
                "alias": {"en": ["the Kyrgyz Republic"], "ru": ["Кыргызская Республика"]},
                "P31": ["Q123480", "Q3624078", "Q6256", "Q7270"],
                "P625": ("75.0", "41.0"),
                "P463": ["Q318693"],
            }
        },
    },
    {
        "id": "Q863",
        "from": {
            "spoc-tajikistan": {
                "label": {"en": ["Tajikistan"], "ru": ["Таджикистан"]},
                "alias": {"en": ["the Republic of Tajikistan"], "ru": ["Республика Таджикистан"]},
                "P31": ["Q123480", "Q179164", "Q3624078", "Q6256"],
                "P625": ("71.366667", "38.583333"),
            }
        },
    },
    {
        "id": "Q159",
        "from": {
            "spoc-russia": {
                "label": {"en": ["Russia"], "ru": ["Российская Федерация"]},
                "alias": {"en": ["Russian Federation", "the Russian Federation"]},
                "P625": ("47.4574", "52.6418"),  # the page's `location: [52.6418, 47.4574]` (lat, lon)
                "P463": ["Q318693"],
            }
        },
    },
    {
        "id": "Q184",
        "from": {
            "spoc-belarus": {
                "label": {"en": ["Belarus"], "ru": ["Беларусь"]},
                "alias": {"en": ["the Republic of Belarus", "Byelorussia"], "ru": ["Республика Беларусь"]},
                "P31": ["Q6256", "Q7270", "Q123480", "Q179164", "Q619610", "Q3624078"],
                "P625": ("28.046666666", "53.528333333"),
                "P463": ["Q318693"],
            }
        },
    },
    {
        "id": "Q399",
        "from": {
            "spoc-armenia": {
                "label": {"en": ["Armenia"], "ru": ["Армения"]},
                "alias": {"en": ["the Republic of Armenia"], "ru": ["Республика Армения"]},
                "P31": ["Q6256", "Q3624078"],
                "P625": ("44.95", "40.383333"),
            }
        },
    },
    # items the Kazakhstan page links to, with the English label its link text gives
    {"id": "Q30", "from": {"spoc-kazakhstan": {"label": {"en": ["United States"]}}}},
    {"id": "Q148", "from": {"spoc-kazakhstan": {"label": {"en": ["People's Republic of China"]}}}},
    {"id": "Q15180", "from": {"spoc-kazakhstan": {"label": {"en": ["Soviet Union"]}}}},
    {"id": "Q168811", "from": {"spoc-kazakhstan": {"label": {"en": ["Kazakh Soviet Socialist Republic"]}}}},
    {"id": "Q5256775", "from": {"spoc-kazakhstan": {"label": {"en": ["President of Kazakhstan"]}}}},
    {"id": "Q200881", "from": {"spoc-kazakhstan": {"label": {"en": ["Kassym-Jomart Tokayev"]}}}},
    # ---- first-level divisions and cities of Kazakhstan ----------------------------------
    {
        "id": "Q35493",
        "from": {
            "dr5hn-cities-kz": {
                "label": {"en": ["Almaty"], "ru": ["Алматы"]},
                "native": "Алматы",
                "P625": ("76.92861000", "43.25667000"),
                "P17": ["Q232"],
            },
        },
    },
    {
        "id": "Q1520",
        "from": {
            "dr5hn-states": {
                "label": {"en": ["Astana"], "ru": ["Астана"]},
                "native": "Астана",
                "P625": ("71.43066820", "51.12822050"),
                "P17": ["Q232"],
                "iso": "KZ-71",
            },
        },
    },
    {
        "id": "Q491123",
        "from": {
            "dr5hn-cities-kz": {
                "label": {"en": ["Kyzylorda"], "ru": ["Кызылорда"]},
                "native": "Қызылорда",
                "P625": ("65.50917000", "44.85278000"),
                "P17": ["Q232"],
                "P131": ["Q485322"],
            },
        },
    },
    {
        "id": "Q486545",
        "from": {
            "dr5hn-cities-kz": {
                "label": {"en": ["Taraz"], "ru": ["Тараз"]},
                "native": "Тараз",
                "P625": ("71.36667000", "42.90000000"),
                "P17": ["Q232"],
                "P131": ["Q486657"],
            },
        },
    },
    {
        "id": "Q491102",
        "from": {
            "dr5hn-cities-kz": {
                "label": {"en": ["Taldykorgan"], "ru": ["Талдыкорган"]},
                "native": "Талдықорған",
                "P625": ("78.37389000", "45.01556000"),
                "P17": ["Q232"],
                "P131": ["Q186466"],
            },
        },
    },
    {
        "id": "Q477232",
        "from": {
            "dr5hn-cities-kz": {
                "label": {"en": ["Aktobe"], "ru": ["Актобе"]},
                "native": "Ақтөбе",
                "P625": ("57.20718000", "50.27969000"),
                "P17": ["Q232"],
                "P131": ["Q485437"],
            },
        },
    },
    {
        "id": "Q1000852",
        "from": {
            "dr5hn-cities-kz": {
                "label": {"en": ["Zhanaozen"], "ru": ["Жанаозен"]},
                "native": "Жаңаөзен",
                "P625": ("52.86192000", "43.34116000"),
                "P17": ["Q232"],
                "P131": ["Q238931"],
            },
        },
    },
    # regions: English label from the Kazakhstan page's link text (Wikidata's English label),
    # the dr5hn short name as an English alias, Russian and local names from states.json
    {
        "id": "Q238931",
        "from": {
            "spoc-kazakhstan": {"label": {"en": ["Mangystau Region"]}},
            "dr5hn-states": {
                "alias": {"en": ["Mangystau"]},
                "label": {"ru": ["Мангистау"]},
                "native": "Маңғыстау",
                "P625": ("53.79999310", "44.43649180"),
                "P17": ["Q232"],
                "iso": "KZ-47",
            },
        },
    },
    {
        "id": "Q485322",
        "from": {
            "spoc-kazakhstan": {"label": {"en": ["Kyzylorda Region"]}},
            "dr5hn-states": {
                "alias": {"en": ["Kyzylorda"]},
                "label": {"ru": ["Кызылорда"]},
                "native": "Қызылорда",
                "P625": ("63.91552020", "45.20588530"),
                "P17": ["Q232"],
                "iso": "KZ-43",
            },
        },
    },
    {
        "id": "Q186466",
        "from": {
            "spoc-kazakhstan": {"label": {"en": ["Almaty Region"]}},
            "dr5hn-states": {
                "alias": {"en": ["Almaty"]},
                "label": {"ru": ["Алматы"]},
                "native": "Алматы",
                "P625": ("77.13581360", "43.61369550"),
                "P17": ["Q232"],
                "iso": "KZ-19",
            },
        },
    },
    {
        "id": "Q486657",
        "from": {
            "spoc-kazakhstan": {"label": {"en": ["Jambyl Region"]}},
            "dr5hn-states": {
                "alias": {"en": ["Jambyl"]},
                "label": {"ru": ["Джамбул"]},
                "native": "Жамбыл",
                "P625": ("72.13416600", "44.41684630"),
                "P17": ["Q232"],
                "iso": "KZ-31",
            },
        },
    },
    {
        "id": "Q485437",
        "from": {
            "spoc-kazakhstan": {"label": {"en": ["Aktobe Region"]}},
            "dr5hn-states": {
                "alias": {"en": ["Aktobe"]},
                "label": {"ru": ["Актобе"]},
                "native": "Ақтөбе",
                "P625": ("59.44991720", "48.25527720"),
                "P17": ["Q232"],
                "iso": "KZ-15",
            },
        },
    },
    # ---- organisations -------------------------------------------------------------------
    {
        "id": "Q318693",
        "from": {
            "spoc-csto": {
                "label": {
                    "en": ["Collective Security Treaty Organization"],
                    "ru": ["Организация Договора о коллективной безопасности"],
                    "kk": ["Ұжымдық қауіпсіздік туралы шарт ұйымы"],
                },
                "alias": {"en": ["CSTO"]},
                "P31": ["Q484652", "Q1127126"],
                "P625": ("37.5354", "55.7963"),
                "P159": ["Q649"],
                "P571": "1992-05-15",
                "P856": "https://odkb-csto.org/",
            }
        },
    },
    {"id": "Q649", "from": {"spoc-csto": {"label": {"en": ["Moscow"]}}}},
    {
        "id": "Q187052",
        "from": {
            "spoc-hrw": {
                "label": {"en": ["Human Rights Watch"]},
                "alias": {"en": ["HRW", "Helsinki Watch"]},
                "P31": ["Q163740", "Q1194093", "Q1920810"],
                "P17": ["Q30"],
                "P159": ["Q60"],
                "P571": "1978-01-01",
                "P856": "https://www.hrw.org/",
            }
        },
    },
    {"id": "Q60", "from": {"spoc-hrw": {"label": {"en": ["New York City"]}}}},
    {
        "id": "Q1195092",
        "from": {
            "ep-kz-groups": {
                "label": {"en": ["Nur Otan"], "ru": ["Нур Отан"], "kk": ["Нұр Отан ХДП"], "kk-latn": ["Nur Otan XDP"]},
                "alias": {
                    "en": ["Radiant Fatherland"],
                    "ru": ["Нур-Отан", "НДП «Нур Отан»", "Народно-демократическая партия «Нур Отан»"],
                    "kk": ["Нұр Отан"],
                },
                "P856": "http://nurotan.kz/",
            }
        },
    },
    # Ak Zhol: kept because its English alias "Democratic Party of Kazakhstan" is the trap named in
    # ../shared/links/README.md (not the unregistered party of Zhanbolat Mamay).
    {
        "id": "Q1186246",
        "from": {
            "ep-kz-groups": {
                "label": {
                    "en": ["Democratic Party of Kazakhstan Ak Zhol"],
                    "ru": ["Демократическая партия Казахстана «Ак жол»"],
                    "kk": ["Ақ жол Демократиялық Партиясы"],
                },
                "alias": {"en": ["Ak Zhol", "Democratic Party of Kazakhstan"], "ru": ["Ак жол", "Ак Жол"]},
                "P856": "http://akzhol.kz/",
            }
        },
    },
    {
        "id": "Q2166484",
        "from": {
            "ep-kz-groups": {
                "label": {
                    "en": ["Communist People's Party of Kazakhstan"],
                    "ru": ["Коммунистическая народная партия Казахстана"],
                    "kk": ["Қазақстан коммунистік халық партиясы"],
                },
                "P856": "http://knpk.kz/",
            }
        },
    },
]

KAZAKH_ONLY_LETTERS = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")


def literal(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def source_iri(key: str) -> str:
    source = SOURCES[key]
    return f"https://github.com/{source['repo']}/blob/{source['commit']}/{source['path']}"


def item_triples(item: dict) -> list[str]:
    """Turtle lines for one item, a comment per source saying which values came from it."""
    qid = item["id"]
    lines: list[str] = []
    for key, values in item["from"].items():
        src = SOURCES[key]
        lines.append(f"# wd:{qid} from {src['repo']} {src['path']} @ {src['commit'][:12]}")
        triples: list[tuple[str, str]] = []
        for lang, names in sorted(values.get("label", {}).items()):
            triples += [("rdfs:label", literal(n, lang)) for n in names]
        native = values.get("native")
        if native and KAZAKH_ONLY_LETTERS & set(native):
            # dr5hn's `native` is the local name; only a name written with letters that exist in
            # Kazakh and not in Russian is taken as Kazakh.
            triples.append(("rdfs:label", literal(native, "kk")))
        for lang, names in sorted(values.get("alias", {}).items()):
            triples += [("skos:altLabel", literal(n, lang)) for n in names]
        for prop in ("P31", "P17", "P131", "P463", "P36", "P35", "P1906", "P150", "P1365", "P530", "P159"):
            triples += [(f"wdt:{prop}", f"wd:{q}") for q in values.get(prop, [])]
        if "P625" in values:
            lon, lat = values["P625"]
            triples.append(("wdt:P625", f'"Point({lon} {lat})"^^geo:wktLiteral'))
        if "P571" in values:
            triples.append(("wdt:P571", f'"{values["P571"]}T00:00:00Z"^^xsd:dateTime'))
        if "P856" in values:
            triples.append(("wdt:P856", f"<{values['P856']}>"))
        if "iso" in values:
            triples.append(("wdt:P300", literal(values["iso"])))
        triples.append(("prov:wasDerivedFrom", f"<{source_iri(key)}>"))
        body = " ;\n    ".join(f"{p} {o}" for p, o in triples)
        lines.append(f"wd:{qid}\n    {body} .")
        lines.append("")
    return lines


def render() -> str:
    out = [
        "# Wikidata-shaped snapshot for kzkg's offline tests: the stand-in for https://query.wikidata.org/sparql.",
        "# Generated by tests/data/make_wikidata_snapshot.py; do not edit by hand.",
        "# Every triple about a wd: item was copied from the public, Wikidata-derived file named in the",
        "# comment above its group and by prov:wasDerivedFrom; nothing was recalled from memory. Values may",
        "# differ from the live service (they are what the named file says). Sources:",
    ]
    for key in SOURCES:
        out.append(f"#   {key}: {source_iri(key)}")
    out += [
        "",
        "@prefix wd: <http://www.wikidata.org/entity/> .",
        "@prefix wdt: <http://www.wikidata.org/prop/direct/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix schema: <http://schema.org/> .",
        "@prefix geo: <http://www.opengis.net/ont/geosparql#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix void: <http://rdfs.org/ns/void#> .",
        "",
        "# ---- what this snapshot is (read by `kzkg enrich` into the enrichment graph's provenance) ----",
        f"<{SNAPSHOT}> a void:Dataset, prov:Entity ;",
        '    dcterms:title "Wikidata-shaped snapshot standing in for the Wikidata query service in kzkg tests"@en ;',
        "    dcterms:description "
        + literal(
            "A small graph in Wikidata's RDF shape (wd:/wdt:, rdfs:label, skos:altLabel, wdt:P625) for the "
            "items kzkg's corpus links to, built only from the public Wikidata-derived files it names with "
            "prov:wasDerivedFrom. It is not Wikidata: labels and coordinates are what those files say and may "
            "differ from the live service. Licences are those of the source files.",
            "en",
        )
        + " ;",
        f'    dcterms:created "{CREATED}"^^xsd:date ;',
        "    prov:wasDerivedFrom " + ", ".join(f"<{source_iri(k)}>" for k in SOURCES) + " .",
        "",
    ]
    for key, src in SOURCES.items():
        out.append(f"<{source_iri(key)}> a prov:Entity ;")
        out.append(f"    dcterms:title {literal(src['repo'] + ' ' + src['path'])} ;")
        out.append(f"    dcterms:isPartOf <https://github.com/{src['repo']}> ;")
        if "licence" in src:
            out.append(f"    dcterms:license <{src['licence']}> ;")
        note = src.get("licence_note")
        comment = src["used"] + (" " + note if note else "")
        out.append(f"    rdfs:comment {literal(comment, 'en')} .")
        out.append("")
    out.append("# ---- items ----")
    for item in ITEMS:
        out += item_triples(item)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
