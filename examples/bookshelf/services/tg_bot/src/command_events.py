"""Publishing events from a plain Python service: the bot reports every chat command it handled
on the Redis Stream `bot_command` (usage statistics), with no app framework to run the broker.

The pattern (`shared.generated.events`, generated from shared/spec/events.yaml):

    broker = get_broker()            # the process-wide broker, from REDIS_URL; not connected
    await broker.connect()           # once, at startup
    await publish_bot_command(BotCommand(...))     # any number of times
    await broker.stop()              # once, at shutdown

`connected_broker()` below does the connect/stop pair around a block. From the command line:

    PYTHONPATH=.:../../../shared REDIS_URL=redis://127.0.0.1:6379 \\
        python command_events.py 42 "/add Solaris Stanisław Lem"
"""

import argparse
import asyncio
import datetime
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from shared.generated.events import get_broker, publish_bot_command
from shared.generated.schemas import BotCommand

# "/add", "/Add", "/add@shelf_bot" (Telegram appends the bot's name in group chats).
_COMMAND = re.compile(r"/([A-Za-z_]{1,32})(?:@[A-Za-z0-9_]+)?")

MAX_ARGS = 20
"""`BotCommand.args` holds at most twenty words."""


def parse_command(
    chat_id: int,
    text: str,
    *,
    ok: bool,
    received_at: datetime.datetime | None = None,
) -> BotCommand:
    """The event of the chat message `text`: "/add@shelf_bot Solaris" is the command "/add"
    with the argument "Solaris". Raises ValueError when `text` is not a command."""
    words = text.split()
    match = _COMMAND.fullmatch(words[0]) if words else None
    if match is None:
        raise ValueError(f"not a bot command: {text!r}")
    return BotCommand(
        chat_id=chat_id,
        command="/" + match.group(1).lower(),
        args=words[1 : 1 + MAX_ARGS],
        ok=ok,
        received_at=received_at or datetime.datetime.now(datetime.UTC),
    )


@asynccontextmanager
async def connected_broker() -> AsyncIterator[None]:
    """Connects the process-wide broker for the block; closes it afterwards."""
    broker = get_broker()
    await broker.connect()
    try:
        yield
    finally:
        await broker.stop()


async def report_commands(
    chat_id: int, texts: Sequence[str], *, ok: bool = True
) -> list[BotCommand]:
    """Publishes one `bot_command` event per text, in order; returns them."""
    events = [parse_command(chat_id, text, ok=ok) for text in texts]
    async with connected_broker():
        for event in events:
            await publish_bot_command(event)
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description="Publish bot_command events.")
    parser.add_argument("chat_id", type=int)
    parser.add_argument("text", nargs="+", help='a chat message, e.g. "/add Solaris"')
    parser.add_argument(
        "--failed", action="store_true", help="the bot could not carry it out"
    )
    args = parser.parse_args()
    events = asyncio.run(report_commands(args.chat_id, args.text, ok=not args.failed))
    for event in events:
        print(f"published {event.command} ({len(event.args)} args) to bot_command")


if __name__ == "__main__":
    main()
