"""A worker's streamed chat relay (jobs/remote_stream.py) and the API node's side (ChatStreams.relay)."""

import asyncio
import threading

from noxus_local.jobs.remote_stream import Relay
from noxus_local.tools.chat_stream import ChatStreams, Relayed


def test_the_relay_sends_every_piece_in_order_and_flushes_on_finish():
    got: list[str] = []
    gate = threading.Event()

    def send(pieces: list[str]) -> Relayed:
        gate.wait(5)  # a slow round trip: pieces gather meanwhile and go in one post
        got.extend(pieces)
        return Relayed(listening=True, stop=False)

    relay = Relay(send)
    for piece in ("Ho", "la", ", ", "mun", "do"):
        relay.put(piece)
    gate.set()
    relay.finish()
    assert "".join(got) == "Hola, mundo" and not relay.hung_up.is_set()


def test_a_stop_answer_sets_hung_up_and_not_listening_ends_the_posts():
    posts: list[list[str]] = []

    def send(pieces: list[str]) -> Relayed:
        posts.append(pieces)
        return Relayed(listening=False, stop=True)

    relay = Relay(send)
    relay.put("a")
    assert relay.hung_up.wait(5)
    relay.put("b")
    relay.finish()
    assert posts == [["a"]]


def test_a_failed_post_stops_relaying_without_stopping_the_generation():
    def send(pieces: list[str]) -> Relayed:
        raise OSError("connection refused")

    relay = Relay(send)
    relay.put("a")
    relay.put("b")
    relay.finish()
    assert not relay.hung_up.is_set()


def test_the_api_node_hands_pieces_to_the_open_channel_and_remembers_a_hang_up():
    streams = ChatStreams()
    loop = asyncio.new_event_loop()
    try:
        channel = streams.open("job_1", loop)
        assert streams.relay("job_1", ["Ho", "la"]) == Relayed(listening=True, stop=False)
        loop.run_until_complete(asyncio.sleep(0))
        assert [channel.queue.get_nowait(), channel.queue.get_nowait()] == ["Ho", "la"]
        channel.hung_up.set()
        assert streams.relay("job_1", ["!"]) == Relayed(listening=True, stop=True)
        streams.close("job_1")  # the route's stream ended with its client gone
        assert streams.relay("job_1", ["?"]) == Relayed(listening=False, stop=True)
        assert streams.relay("job_2", ["x"]) == Relayed(listening=False, stop=False)  # nobody streams job_2 here
    finally:
        loop.close()
