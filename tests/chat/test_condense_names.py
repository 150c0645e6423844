"""The offline condenser's choice of the person a he/she points at: a name with a person cue
before one without, a name after "the" is not a person, and names the user typed in lowercase."""

from __future__ import annotations

import pytest

from ragkit.chat.condense import HistoryTurn, OfflineCondenser
from ragkit.chat.names import cap_phrases, lowercase_names, name_mentions

pytestmark = pytest.mark.unit
C = OfflineCondenser()


def test_a_name_with_a_person_cue_beats_an_adjective_of_the_same_salience():
    h = [HistoryTurn("Where is he from?", "Libby was born to an affluent Jewish family in New Haven, Connecticut;")]
    assert C.condense("Did he have siblings?", h).standalone == "Did Libby have siblings?"


def test_a_name_after_the_is_not_the_person():
    h = [HistoryTurn("What did he start out as?", "Blount was a singer in a band."),
         HistoryTurn("What was the name of the band?", "the Ginger Snaps"),
         HistoryTurn("Did he tour?", "He toured with the Ginger Snaps in 1934, and sang for the Ginger Snaps until 1936.")]
    assert C.condense("What college did he go to?", h).standalone == "What college did Blount go to?"


def test_a_name_typed_in_lowercase_gives_its_full_form():
    h = [HistoryTurn("when was faith hill born?", "In 1967, Hill was born in Ridgeland, Mississippi."),
         HistoryTurn("who were her parents?", "Her adoptive parents, Edna and Ted Perry, raised her.")]
    assert C.condense("did she ever move away from home", h).standalone == "did Faith Hill ever move away from home"


def test_lowercase_names_takes_the_words_before_a_known_surname_only():
    assert [f for f, *_ in lowercase_names("when was faith hill born?", {"hill"})] == ["Faith Hill"]
    assert lowercase_names("when was faith hill born?", {"ridgeland"}) == []
    assert lowercase_names("what did the hill say", {"hill"}) == []


def test_what_else_after_an_abstention_goes_on_from_the_latest_answer_that_said_something():
    h = [HistoryTurn("Did Patrick Dempsey act in films?", "He starred in Enchanted."),
         HistoryTurn("Did he receive any awards?", "I don't know.")]
    out = C.condense("Did he act in any other films?", h).standalone
    assert "besides Enchanted" in out and "Dempsey" in out


def test_a_demonstrative_after_an_abstention_does_not_reach_back_to_older_answers():
    h = [HistoryTurn("Did Patrick Dempsey act in films?", "He starred in Enchanted."),
         HistoryTurn("Did he receive any awards?", "")]
    assert "Enchanted" not in C.condense("Why was that?", h).standalone


def test_a_cue_on_a_longer_name_does_not_mark_the_person_inside_it():
    """"the Johnny Bench Award" is no person, but that says nothing of Johnny Bench."""
    h = [HistoryTurn("Who are the greatest catchers?",
                     "He was in the Big Red Machine. howstuffworks.com Known for his prowess, ESPN called him the best."),
         HistoryTurn("What was he known for?", "Johnny Bench (born 1947) is an American former catcher."),
         HistoryTurn("Who won his award?", "The best collegiate catcher annually receives the Johnny Bench Award.")]
    assert C.condense("Who was the next Rookie of the Year after him?", h).standalone == \
        "Who was the next Rookie of the Year after Johnny Bench?"


def test_they_is_the_band_the_user_asked_about_not_members_an_answer_listed():
    """A name the user asked about with no group word and no he/she cue ("Metallica") stands for
    "they" before a list of people an answer gave ("James Hetfield and Lars Ulrich")."""
    h = [HistoryTurn("How did Metallica start?",
                     "James Hetfield and Lars Ulrich met through an ad, and the band became Metallica."),
         HistoryTurn("When did Metallica sign a record deal?", "1983")]
    assert C.condense("Where did they play their first show?", h).standalone == \
        "Where did Metallica play their first show?"


def test_a_capitalized_particle_stays_part_of_the_surname():
    h = [HistoryTurn("What films did he direct?", "Van Sant made Mala Noche in 1985.")]
    assert C.condense("Was his film a success?", h).standalone == "Was Van Sant's film a success?"
    assert [f for f, *_ in name_mentions("He met Ludwig van Beethoven.", set())] == ["Ludwig van Beethoven"]
    assert [f for f, *_ in name_mentions("They signed with The Cult.", set())] == ["Cult"]


def test_a_sentence_opening_adverb_is_no_name():
    assert cap_phrases("Privately funded, the Medal of Honor Memorial opened. According to Smith it cost little.") \
        == ["Medal of Honor Memorial", "Smith"]
    h = [HistoryTurn("How was the memorial paid for?", "Privately funded.")]
    assert "Privately" not in C.condense("Was it finished on time?", h).standalone


def test_a_person_a_short_answer_named_is_the_subject_a_long_passage_is_not():
    """A short answer is a span that names what the conversation is about; a retrieved passage
    names many things, so a name only in one is not taken as the subject."""
    short = [HistoryTurn("Who founded the company?", "Henry Ford, when he was 40.")]
    assert C.condense("Where was the first factory?", short).standalone == "Where was the first factory (Henry Ford)?"
    passage = ("Henry Ford founded the company in 1903 when he was 40, with eleven other investors and 28,000 "
               "dollars in capital, in a converted wagon factory on Mack Avenue in Detroit.")
    assert "Ford" not in C.condense("Where was the first factory?",
                                    [HistoryTurn("Who founded the company?", passage)]).standalone
