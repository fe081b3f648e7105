#!/usr/bin/env python3
"""Validate every syndication feed found under a directory.

Usage: python3 tests/feeds/check_feeds.py DIR

Feed files are recognised by extension: *.atom (Atom 1.0, RFC 4287), *.rss
(RSS 2.0) and *.json (JSON Feed 1.1), except the JSON files the generator
writes for its own bookkeeping (profiles.json, changes.json, state.json).

Prints one "FILE: problem" line per problem, then a summary line. Exit status:
0 = all feeds valid, 1 = problems found or no feeds at all, 2 = usage error or
a missing dependency (feedparser, xmllint).

Only the standard library and feedparser are used, so that CI needs nothing
beyond `pip install feedparser` and `apt-get install -y libxml2-utils`.
"""

import collections
import datetime
import email.utils
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

try:
    import feedparser
except ImportError:  # reported with a fix hint in main(), not as a traceback
    feedparser = None

HERE = os.path.dirname(os.path.abspath(__file__))
# The .rng (converted from atom.rnc by trang) is used because CI has xmllint
# but not trang, and xmllint cannot read the compact syntax.
ATOM_RNG = os.path.join(HERE, "atom.rng")

NOT_JSON_FEEDS = {"profiles.json", "changes.json", "state.json"}

ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 4287 4.2.7.2: a rel value that is a registered name is equivalent to the
# IANA IRI form, so both spellings count as "alternate".
ALTERNATE_RELS = {None, "alternate", "http://www.iana.org/assignments/relation/alternate"}

JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
JSONFEED_TOP_KEYS = {
    "version", "title", "items",
    "home_page_url", "feed_url", "description", "user_comment", "next_url",
    "icon", "favicon", "authors", "language", "expired", "hubs",
}
JSONFEED_ITEM_KEYS = {
    "id", "url", "external_url", "title", "content_html", "content_text",
    "summary", "image", "banner_image", "date_published", "date_modified",
    "authors", "tags", "language", "attachments",
}
JSONFEED_TOP_URLS = ("home_page_url", "feed_url", "next_url", "icon", "favicon")
JSONFEED_ITEM_URLS = ("url", "external_url", "image", "banner_image")

# Scheme per RFC 3986 3.1, then no whitespace or characters that RFC 3987
# forbids anywhere in an IRI. Relative references have no scheme, so they fail.
ABSOLUTE_IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`\x00-\x1f\x7f]+')
BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# datetime.fromisoformat alone is too lenient (it takes "2024-05-01", spaces
# instead of "T", missing offsets), so RFC 3339 section 5.6 is enforced first
# and fromisoformat then catches out-of-range fields such as month 13.
# [0-9] rather than \d, which would also accept full-width digits.
RFC3339 = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)

XML_DECLARED_ENCODING = re.compile(
    rb"""\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")

# xmllint re-reads the schema for every invocation, so files are batched; the
# length cap keeps the argument list far below ARG_MAX on any platform.
XMLLINT_BATCH_FILES = 200
XMLLINT_BATCH_CHARS = 100_000
# libxml2 reports every enclosing element once an inner one fails; the first
# few messages are the useful ones.
XMLLINT_MAX_MESSAGES = 5

# Pools cost more to start than small runs take in-process.
MIN_FILES_FOR_POOL = 64


class Fatal(Exception):
    """Environment problem that makes results meaningless (exit 2)."""


# ---------------------------------------------------------------------------
# Discovery


def find_feeds(root):
    feeds = {"atom": [], "rss": [], "json": []}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if name.endswith(".atom"):
                feeds["atom"].append(path)
            elif name.endswith(".rss"):
                feeds["rss"].append(path)
            elif name.endswith(".json") and name not in NOT_JSON_FEEDS:
                feeds["json"].append(path)
    return feeds


# ---------------------------------------------------------------------------
# feedparser


def describe_exception(exc):
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def feedparser_problems(path, expected_version, json_feed=False):
    kwargs = {
        # Sanitising and URI resolution only rewrite the parsed values; they
        # never set bozo, and skipping them roughly halves the parse time.
        "sanitize_html": False,
        "resolve_relative_uris": False,
    }
    if json_feed:
        # feedparser only takes the JSON code path when the (simulated) HTTP
        # Content-Type says so; a local file has no Content-Type.
        kwargs["response_headers"] = {"content-type": "application/feed+json"}
    result = feedparser.parse(path, **kwargs)
    problems = []
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        problems.append("feedparser: bozo: " + (describe_exception(exc) if exc else "(no exception given)"))
    version = result.get("version", "")
    if version != expected_version:
        problems.append(f"feedparser: detected version {version!r}, expected {expected_version!r}")
    return problems


def feedparser_handles_json():
    """Whether the installed feedparser can parse JSON Feed at all.

    Released feedparser (6.0.x) has no JSON Feed support; it only exists on
    the unreleased develop branch. Requiring it would fail every JSON feed, so
    the feedparser check for JSON is applied only when a probe succeeds. The
    built-in JSON Feed rules below run either way.
    """
    probe = json.dumps({"version": JSONFEED_VERSION, "title": "t",
                        "items": [{"id": "1", "content_text": "x"}]}).encode()
    try:
        result = feedparser.parse(probe, response_headers={"content-type": "application/feed+json"})
    except Exception:
        return False
    return result.get("version") == "json11" and not result.get("bozo")


# ---------------------------------------------------------------------------
# XML helpers


def parse_xml(path):
    """Returns (root, None) or (None, problem)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return None, f"cannot read: {exc}"
    try:
        try:
            return ET.fromstring(raw), None
        except ValueError:
            # expat cannot decode multi-byte encodings such as GB2312/GBK,
            # which are legitimate (and common on Chinese sites), so decode in
            # Python; expat ignores the declaration when given text.
            match = XML_DECLARED_ENCODING.match(raw)
            if not match:
                raise
            encoding = match.group(1).decode("ascii")
            try:
                text = raw.decode(encoding)
            except (LookupError, UnicodeDecodeError) as decode_error:
                return None, f"content does not match declared encoding {encoding}: {decode_error}"
            return ET.fromstring(text), None
    except ET.ParseError as exc:
        return None, f"not well-formed XML: {exc}"


def text_of(element):
    return "" if element is None else "".join(element.itertext())


# ---------------------------------------------------------------------------
# Atom: the rules RFC 4287 states in prose (or as Schematron, which libxml2
# ignores), on top of the RELAX NG validation done by xmllint.


def is_absolute_iri(value):
    return bool(ABSOLUTE_IRI.fullmatch(value)) and not BAD_PERCENT.search(value)


def atom_rule_problems(root):
    if root.tag != ATOM + "feed":
        return [f"root element is {root.tag}, expected atom:feed"]
    problems = []
    # Also enforced by the schema, but libxml2 reports a missing element inside
    # an interleave with misleading text ("Expecting an element contributor"),
    # so the common omissions get a plain message as well.
    for name in ("id", "title", "updated"):
        if root.find(ATOM + name) is None:
            problems.append(f"feed has no atom:{name}")

    feed_id = root.find(ATOM + "id")
    if feed_id is not None and not is_absolute_iri(text_of(feed_id)):
        problems.append(f"feed atom:id is not an absolute IRI: {text_of(feed_id)!r}")

    feed_has_author = root.find(ATOM + "author") is not None
    seen_ids = collections.defaultdict(list)
    for number, entry in enumerate(root.findall(ATOM + "entry"), 1):
        id_element = entry.find(ATOM + "id")
        entry_id = text_of(id_element) if id_element is not None else None
        label = f"entry {number}" + (f" ({entry_id})" if entry_id else "")
        for name in ("id", "title", "updated"):
            if entry.find(ATOM + name) is None:
                problems.append(f"{label}: no atom:{name}")

        if id_element is not None:
            seen_ids[entry_id].append(number)
            if not is_absolute_iri(entry_id):
                problems.append(f"{label}: atom:id is not an absolute IRI: {entry_id!r}")
        source_id = entry.find(f"{ATOM}source/{ATOM}id")
        if source_id is not None and not is_absolute_iri(text_of(source_id)):
            problems.append(f"{label}: atom:source/atom:id is not an absolute IRI: {text_of(source_id)!r}")

        # RFC 4287 4.1.2: an author may also come from atom:source.
        if not feed_has_author and entry.find(ATOM + "author") is None \
                and entry.find(f"{ATOM}source/{ATOM}author") is None:
            problems.append(f"{label}: no atom:author, and the feed has none (RFC 4287 4.1.2)")

        # RFC 4287 4.1.2: without content, readers need somewhere to go.
        if entry.find(ATOM + "content") is None and not any(
                link.get("rel") in ALTERNATE_RELS for link in entry.findall(ATOM + "link")):
            problems.append(f"{label}: neither atom:content nor an alternate atom:link (RFC 4287 4.1.2)")

    # RFC 4287 allows repeated ids (as revisions of one entry, with distinct
    # atom:updated), but the generator emits each entry once, so a repeat here
    # means two pages were given the same id.
    for entry_id, numbers in seen_ids.items():
        if len(numbers) > 1:
            problems.append(f"duplicate entry atom:id {entry_id!r} (entries {', '.join(map(str, numbers))})")
    return problems


def check_atom(path, _json_via_feedparser):
    """Returns (problems, send_to_xmllint)."""
    root, problem = parse_xml(path)
    if problem:
        # feedparser and xmllint would only restate the same syntax error.
        return [problem], False
    problems = feedparser_problems(path, "atom10")
    problems += atom_rule_problems(root)
    return problems, True


# ---------------------------------------------------------------------------
# RSS 2.0 (https://www.rssboard.org/rss-specification)


def rfc822_problem(what, value):
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        # TypeError: Python < 3.10 signalled unparseable dates that way.
        parsed = None
    if parsed is None:
        return f"{what} is not an RFC 822 date: {value!r}"
    return None


def rss_rule_problems(root):
    if root.tag != "rss":
        return [f"root element is {root.tag}, expected rss"]
    problems = []
    if root.get("version") != "2.0":
        problems.append(f"rss version is {root.get('version')!r}, expected '2.0'")
    channels = root.findall("channel")
    if len(channels) != 1:
        problems.append(f"expected exactly one channel, found {len(channels)}")
        if not channels:
            return problems
    channel = channels[0]

    for name in ("title", "link", "description"):
        element = channel.find(name)
        if element is None:
            problems.append(f"channel has no {name}")
        elif not text_of(element).strip():
            problems.append(f"channel {name} is empty")
    for name in ("pubDate", "lastBuildDate"):
        element = channel.find(name)
        if element is not None:
            problem = rfc822_problem(f"channel {name}", text_of(element))
            if problem:
                problems.append(problem)

    seen_guids = collections.defaultdict(list)
    for number, item in enumerate(channel.findall("item"), 1):
        label = f"item {number}"
        if not (text_of(item.find("title")).strip() or text_of(item.find("description")).strip()):
            problems.append(f"{label}: needs a non-empty title or description")
        guid = item.find("guid")
        if guid is not None:
            value = text_of(guid).strip()
            if value:
                seen_guids[value].append(number)
            else:
                problems.append(f"{label}: empty guid")
        pub_date = item.find("pubDate")
        if pub_date is not None:
            problem = rfc822_problem(f"{label}: pubDate", text_of(pub_date))
            if problem:
                problems.append(problem)

    for guid, numbers in seen_guids.items():
        if len(numbers) > 1:
            problems.append(f"duplicate guid {guid!r} (items {', '.join(map(str, numbers))})")
    return problems


def check_rss(path, _json_via_feedparser):
    root, problem = parse_xml(path)
    if problem:
        return [problem], False
    return feedparser_problems(path, "rss20") + rss_rule_problems(root), False


# ---------------------------------------------------------------------------
# JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)


def rfc3339_ok(value):
    match = RFC3339.fullmatch(value)
    if not match:
        return False
    date, time, fraction, offset = match.groups()
    # Normalised because fromisoformat before Python 3.11 rejects "Z" and
    # fractions that are not exactly 3 or 6 digits.
    fraction = "." + (fraction or "")[:6].ljust(6, "0")
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        datetime.datetime.fromisoformat(f"{date}T{time}{fraction}{offset}")
    except ValueError:
        return False
    return True


def is_number(value):
    # bool is an int subclass, but JSON true is not a number.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_type(value):
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            type(None): "null"}.get(type(value), "number")


def check_string(problems, where, obj, key, url=False):
    if key not in obj:
        return
    value = obj[key]
    if not isinstance(value, str):
        problems.append(f"{where}{key} must be a string, not {json_type(value)}")
    elif url and not value.strip():
        problems.append(f"{where}{key} is an empty URL")


def check_authors(problems, where, obj):
    if "authors" not in obj:
        return
    authors = obj["authors"]
    if not isinstance(authors, list):
        problems.append(f"{where}authors must be an array, not {json_type(authors)}")
        return
    for number, author in enumerate(authors, 1):
        at = f"{where}authors[{number}]: "
        if not isinstance(author, dict):
            problems.append(f"{at}must be an object, not {json_type(author)}")
            continue
        if not any(key in author for key in ("name", "url", "avatar")):
            problems.append(f"{at}needs at least one of name, url, avatar")
        check_string(problems, at, author, "name")
        check_string(problems, at, author, "url", url=True)
        check_string(problems, at, author, "avatar", url=True)


def check_unknown_keys(problems, where, obj, allowed):
    for key in obj:
        if key not in allowed and not key.startswith("_"):
            problems.append(f"{where}unknown key {key!r} (extensions must start with '_')")


def check_jsonfeed_item(problems, number, item, seen_ids):
    where = f"item {number}: "
    if not isinstance(item, dict):
        problems.append(f"{where}must be an object, not {json_type(item)}")
        return
    if "id" not in item:
        problems.append(f"{where}missing id")
    elif not isinstance(item["id"], str):
        problems.append(f"{where}id must be a string, not {json_type(item['id'])}")
    elif not item["id"]:
        problems.append(f"{where}id is empty")
    else:
        seen_ids[item["id"]].append(number)
        where = f"item {number} ({item['id']}): "

    if not any(isinstance(item.get(key), str) for key in ("content_html", "content_text")):
        problems.append(f"{where}needs content_html or content_text as a string")

    check_unknown_keys(problems, where, item, JSONFEED_ITEM_KEYS)
    for key in JSONFEED_ITEM_URLS:
        check_string(problems, where, item, key, url=True)
    for key in ("title", "content_html", "content_text", "summary", "language"):
        check_string(problems, where, item, key)
    for key in ("date_published", "date_modified"):
        if key in item:
            value = item[key]
            if not isinstance(value, str):
                problems.append(f"{where}{key} must be a string, not {json_type(value)}")
            elif not rfc3339_ok(value):
                problems.append(f"{where}{key} is not an RFC 3339 date-time: {value!r}")
    check_authors(problems, where, item)

    if "tags" in item:
        tags = item["tags"]
        if not isinstance(tags, list):
            problems.append(f"{where}tags must be an array, not {json_type(tags)}")
        elif not all(isinstance(tag, str) for tag in tags):
            problems.append(f"{where}tags must contain only strings")

    if "attachments" in item:
        attachments = item["attachments"]
        if not isinstance(attachments, list):
            problems.append(f"{where}attachments must be an array, not {json_type(attachments)}")
            return
        for index, attachment in enumerate(attachments, 1):
            at = f"{where}attachments[{index}]: "
            if not isinstance(attachment, dict):
                problems.append(f"{at}must be an object, not {json_type(attachment)}")
                continue
            for key in ("url", "mime_type"):
                if key not in attachment:
                    problems.append(f"{at}missing {key}")
            check_string(problems, at, attachment, "url", url=True)
            check_string(problems, at, attachment, "mime_type")
            check_string(problems, at, attachment, "title")
            for key in ("size_in_bytes", "duration_in_seconds"):
                if key in attachment and not is_number(attachment[key]):
                    problems.append(f"{at}{key} must be a number")


def jsonfeed_rule_problems(doc):
    if not isinstance(doc, dict):
        return [f"top level must be an object, not {json_type(doc)}"]
    problems = []
    if "version" not in doc:
        problems.append("missing version")
    elif doc["version"] != JSONFEED_VERSION:
        problems.append(f"version is {doc['version']!r}, expected {JSONFEED_VERSION!r}")
    if "title" not in doc:
        problems.append("missing title")
    check_string(problems, "", doc, "title")
    check_unknown_keys(problems, "", doc, JSONFEED_TOP_KEYS)
    for key in JSONFEED_TOP_URLS:
        check_string(problems, "", doc, key, url=True)
    for key in ("description", "user_comment", "language"):
        check_string(problems, "", doc, key)
    if "expired" in doc and not isinstance(doc["expired"], bool):
        problems.append(f"expired must be a boolean, not {json_type(doc['expired'])}")
    check_authors(problems, "", doc)
    if "hubs" in doc:
        hubs = doc["hubs"]
        if not isinstance(hubs, list):
            problems.append(f"hubs must be an array, not {json_type(hubs)}")
        else:
            for number, hub in enumerate(hubs, 1):
                at = f"hubs[{number}]: "
                if not isinstance(hub, dict):
                    problems.append(f"{at}must be an object, not {json_type(hub)}")
                    continue
                for key in ("type", "url"):
                    if key not in hub:
                        problems.append(f"{at}missing {key}")
                check_string(problems, at, hub, "type")
                check_string(problems, at, hub, "url", url=True)

    if "items" not in doc:
        problems.append("missing items")
        return problems
    items = doc["items"]
    if not isinstance(items, list):
        problems.append(f"items must be an array, not {json_type(items)}")
        return problems
    seen_ids = collections.defaultdict(list)
    for number, item in enumerate(items, 1):
        check_jsonfeed_item(problems, number, item, seen_ids)
    for item_id, numbers in seen_ids.items():
        if len(numbers) > 1:
            problems.append(f"duplicate item id {item_id!r} (items {', '.join(map(str, numbers))})")
    return problems


def load_json(path):
    """Returns (document, problems); document is None if unusable."""
    duplicates = []

    def no_duplicate_keys(pairs):
        # json keeps the last of repeated keys silently; readers differ.
        keys = collections.Counter(key for key, _ in pairs)
        duplicates.extend(key for key, count in keys.items() if count > 1)
        return dict(pairs)

    def reject_constant(name):
        raise ValueError(f"{name} is not valid JSON")

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return None, [f"cannot read: {exc}"]
    try:
        # RFC 8259 8.1: JSON exchanged between systems must be UTF-8; a BOM
        # makes json.loads fail, which is reported as intended.
        text = raw.decode("utf-8")
        doc = json.loads(text, object_pairs_hook=no_duplicate_keys, parse_constant=reject_constant)
    except UnicodeDecodeError as exc:
        return None, [f"not UTF-8: {exc}"]
    except (ValueError, RecursionError) as exc:
        return None, [f"invalid JSON: {exc}"]
    return doc, [f"duplicate JSON key {key!r}" for key in duplicates]


def check_json(path, json_via_feedparser):
    doc, problems = load_json(path)
    if doc is None:
        return problems, False
    if json_via_feedparser:
        problems = feedparser_problems(path, "json11", json_feed=True) + problems
    return problems + jsonfeed_rule_problems(doc), False


CHECKERS = {"atom": check_atom, "rss": check_rss, "json": check_json}


def check_one(task):
    """Pool entry point: never raises, so one odd file cannot stop the run."""
    kind, path, json_via_feedparser = task
    try:
        problems, send_to_xmllint = CHECKERS[kind](path, json_via_feedparser)
    except Exception as exc:  # a checker bug must surface as a problem, not a crash
        problems, send_to_xmllint = [f"internal error while checking: {describe_exception(exc)}"], False
    return path, problems, send_to_xmllint


# ---------------------------------------------------------------------------
# xmllint / RELAX NG


def xmllint_batches(paths):
    batch, size = [], 0
    for path in paths:
        if batch and (len(batch) >= XMLLINT_BATCH_FILES or size + len(path) > XMLLINT_BATCH_CHARS):
            yield batch
            batch, size = [], 0
        batch.append(path)
        size += len(path) + 1
    if batch:
        yield batch


LOCATED_MESSAGE = re.compile(r":([0-9]+): ")
RNG_PREFIX = "Relax-NG validity error : "


def tidy_xmllint_message(line, number=None):
    source = "RELAX NG" if RNG_PREFIX in line else "xmllint"
    line = line.replace(RNG_PREFIX, "")
    return f"{source}: line {number}: {line}" if number else f"{source}: {line}"


def run_xmllint(batch):
    """Validates one batch; returns {path: [problem, ...]} for failing files.

    xmllint prints "FILE validates" / "FILE fails to validate" for each file it
    could parse, in argument order. Detail lines are either prefixed with
    "FILE:LINE: " or, for some attribute errors, carry no file name at all;
    the latter always precede the verdict of the file they belong to, so they
    are held until the next verdict.
    """
    argv = ["xmllint", "--noout", "--relaxng", ATOM_RNG]
    # A path starting with "-" would be read as an option.
    argv += [("./" + p) if p.startswith("-") else p for p in batch]
    shown = {arg: path for arg, path in zip(argv[4:], batch)}
    try:
        completed = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, check=False)
    except OSError as exc:
        raise Fatal(f"cannot run xmllint: {exc}") from exc
    # surrogateescape keeps undecodable file names equal to os.walk's strings.
    output = completed.stderr.decode("utf-8", "surrogateescape")
    if "failed to compile" in output or "Relax-NG parser error" in output:
        raise Fatal(f"xmllint cannot use {ATOM_RNG}:\n{output.strip()}")

    messages = collections.defaultdict(list)
    verdicts = {}
    pending = []
    for line in output.splitlines():
        if line.endswith(" validates") and line[:-len(" validates")] in shown:
            verdicts[shown[line[:-len(" validates")]]] = True
            pending = []
            continue
        verdict_path = None
        for suffix in (" fails to validate", " validation generated an internal error"):
            if line.endswith(suffix) and line[:-len(suffix)] in shown:
                verdict_path = shown[line[:-len(suffix)]]
        if verdict_path:
            verdicts[verdict_path] = False
            messages[verdict_path][:0] = pending
            pending = []
            continue
        located = None
        # File names may contain ":NN: " themselves, so try every split point.
        # Validity errors name the file as a URI (spaces, ":" and non-ASCII
        # percent-encoded), parser errors use it verbatim.
        for match in LOCATED_MESSAGE.finditer(line):
            prefix = line[:match.start()]
            for name in (prefix, urllib.parse.unquote(prefix, errors="surrogateescape")):
                if name in shown:
                    located = (shown[name], match.group(1), line[match.end():])
                    break
            if located:
                break
        if located:
            path, number, rest = located
            messages[path].append(tidy_xmllint_message(rest, number))
        elif RNG_PREFIX in line:
            pending.append(tidy_xmllint_message(line))
        # Anything else is the source excerpt or caret xmllint prints under a
        # parser error; the located line above already says what is wrong.

    problems = {}
    for path in batch:
        verdict = verdicts.get(path)
        if verdict is True:
            continue
        found = list(dict.fromkeys(messages.get(path, [])))  # dedupe, keep order
        if len(found) > XMLLINT_MAX_MESSAGES:
            extra = len(found) - XMLLINT_MAX_MESSAGES
            found = found[:XMLLINT_MAX_MESSAGES] + [f"RELAX NG: ... and {extra} more"]
        if verdict is None:
            found.insert(0, "xmllint could not validate the file")
        elif not found:
            found = ["RELAX NG: fails to validate against atom.rng"]
        problems[path] = found
    return problems


# ---------------------------------------------------------------------------
# Driver


def worker_count():
    try:
        return len(os.sched_getaffinity(0))  # honours CI CPU pinning
    except AttributeError:
        return os.cpu_count() or 1


def run_checks(tasks, workers):
    if workers <= 1 or len(tasks) < MIN_FILES_FOR_POOL:
        return [check_one(task) for task in tasks]
    chunk = max(1, len(tasks) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(check_one, tasks, chunksize=chunk))


def main(argv):
    if hasattr(sys.stdout, "reconfigure"):
        # Feed text and file names are Chinese; never die on a narrow locale.
        sys.stdout.reconfigure(errors="backslashreplace")
        sys.stderr.reconfigure(errors="backslashreplace")
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print("usage: python3 tests/feeds/check_feeds.py DIR", file=sys.stderr)
        return 2
    root = argv[1]
    if not os.path.isdir(root):
        print(f"error: {root} is not a directory", file=sys.stderr)
        return 2
    if feedparser is None:
        print("error: the Python module 'feedparser' is not installed; fix: pip install feedparser",
              file=sys.stderr)
        return 2
    if shutil.which("xmllint") is None:
        print("error: xmllint is not on PATH; fix: apt-get install -y libxml2-utils", file=sys.stderr)
        return 2
    if not os.path.isfile(ATOM_RNG):
        print(f"error: schema {ATOM_RNG} is missing (regenerate with: trang atom.rnc atom.rng)",
              file=sys.stderr)
        return 2

    feeds = find_feeds(root)
    json_via_feedparser = bool(feeds["json"]) and feedparser_handles_json()
    if feeds["json"] and not json_via_feedparser:
        print(f"note: feedparser {getattr(feedparser, '__version__', '?')} cannot parse JSON Feed; "
              "JSON files get the built-in JSON Feed 1.1 checks only", file=sys.stderr)

    tasks = [(kind, path, json_via_feedparser) for kind in ("atom", "rss", "json") for path in feeds[kind]]
    workers = worker_count()
    results = run_checks(tasks, workers)

    problems = {path: list(found) for path, found, _ in results}
    to_validate = [path for path, _, send in results if send]
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for failures in pool.map(run_xmllint, list(xmllint_batches(to_validate))):
                for path, found in failures.items():
                    problems[path].extend(found)
    except Fatal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    count = 0
    for path in sorted(problems):
        for problem in problems[path]:
            print(f"{path}: {problem}")
            count += 1
    total = len(tasks)
    print(f"checked {len(feeds['atom'])} atom, {len(feeds['rss'])} rss, "
          f"{len(feeds['json'])} json feeds; {count} problems")
    if total == 0:
        print(f"error: no feed files (*.atom, *.rss, *.json) found under {root}", file=sys.stderr)
        return 1
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
