"""Links to the catalogues that know a book: from its ISBN and its `identifiers`.

The backend stores `identifiers` as the reader typed them (`{catalogue: id}`, any strings). The
worker links only to catalogues it knows, and refuses to send a notification with a link it
knows to be broken: an id that does not have its catalogue's format raises
`InvalidIdentifier` (the message then fails, is reported on `book_errors` and, after the last
delivery, dead-lettered, to be replayed once the book is fixed). Ids of other catalogues are
ignored.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MAX_LINKS = 5
"""`Notification.links` holds at most five."""


class InvalidIdentifier(ValueError):
    """A book's id in a known catalogue does not have that catalogue's format."""


@dataclass(frozen=True)
class Catalogue:
    pattern: re.Pattern[str]
    url: Callable[[str], str]
    example: str


def _openlibrary(olid: str) -> str:
    kind = "works" if olid.endswith("W") else "books"
    return f"https://openlibrary.org/{kind}/{olid}"


CATALOGUES: Mapping[str, Catalogue] = {
    "openlibrary": Catalogue(
        re.compile(r"OL[1-9][0-9]*[MW]"), _openlibrary, "OL7353617M or OL45804W"
    ),
    "goodreads": Catalogue(
        re.compile(r"[1-9][0-9]{0,11}"),
        lambda id_: f"https://www.goodreads.com/book/show/{id_}",
        "5470",
    ),
    "wikidata": Catalogue(
        re.compile(r"Q[1-9][0-9]*"),
        lambda id_: f"https://www.wikidata.org/wiki/{id_}",
        "Q208460",
    ),
    "gutenberg": Catalogue(
        re.compile(r"[1-9][0-9]{0,7}"),
        lambda id_: f"https://www.gutenberg.org/ebooks/{id_}",
        "84",
    ),
}


def catalogue_links(isbn: str | None, identifiers: Mapping[str, str]) -> list[str]:
    """The book's catalogue pages: Open Library's page of the ISBN first, then the known
    catalogues in alphabetical order; at most `MAX_LINKS`.

    Raises `InvalidIdentifier` when the id of a known catalogue is malformed.
    """
    links = [f"https://openlibrary.org/isbn/{isbn}"] if isbn else []
    for name in sorted(identifiers, key=str.lower):
        catalogue = CATALOGUES.get(name.lower())
        if catalogue is None:
            continue
        value = identifiers[name].strip()
        if not catalogue.pattern.fullmatch(value):
            raise InvalidIdentifier(
                f"{name} id {value!r} is not valid (expected e.g. {catalogue.example})"
            )
        link = catalogue.url(value)
        if link not in links:
            links.append(link)
    return links[:MAX_LINKS]
