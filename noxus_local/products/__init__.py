"""Product pictures: cut-outs on new backdrops (cutout.py, backdrops.py) and CTA end cards (end_cards.py).

Plain typed functions on Pillow images, no jobs or HTTP: the video-ad and
photoshoot tools adapt their params to them. Nothing is imported here, so
importing the room costs nothing until a module is used.
"""
