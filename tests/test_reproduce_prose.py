"""The report's tables and prose by hand, for the slips that only the committed reports' re-read caught before
(tests/test_reproduce.py's test_the_results_reports_say_what_the_prose_code_reads_off_their_own_numbers):
regenerating docs/results with such a slip in place (`scripts/reread_report_prose.py --write`) would put it into
the docs and make that re-read pass again. Each test states the numbers a researcher should read, worked by hand."""

import numpy as np
import pandas as pd
import pytest

from rlkit.report import Reference
from rlkit.reproduce import tables
from rlkit.reproduce.prose import ablation_paragraph, curves_paragraph, not_learned_sentence, table1_paragraph
from rlkit.reproduce.tables import final_table
from tests.test_reproduce import _fixed_iqm, _np_table, fast_intervals, progress_frames  # noqa: F401

# every test here with the report tables' 200-draw bootstrap (`fast_intervals`): none asserts an IQM interval's bounds
pytestmark = pytest.mark.usefixtures("fast_intervals")

# Two seeds: CSRO loses 1 and 3 to Np collection (offline -5, Np -6 and -8) and 4 to online-prior context; FOCAL
# loses 10 and 7 to its own online-prior protocol (-15, -13) and 7 and 8 to Np (-12, -14). On the 0 .. -20 scale
# (score = 1 + R / 20) every offline score is 0.75 or 0.70: learned (above 0.5).
TWO_SEEDS = {
    "CSRO": [(-5, -9, -6), (-5, -9, -8)],
    "FOCAL": [(-5, -15, -12), (-6, -13, -14)],
}
T1 = 12.706204736174694  # t(0.975, 1): two seeds' 95% half-width is T1 x sd / sqrt(2)
T2 = 4.302652729749462  # t(0.975, 2)


def _table(seeds, ref=None):
    from rlkit.report import Reference
    from rlkit.reproduce.tables import final_table

    return final_table({m: progress_frames(s) for m, s in seeds.items()}, 1, ref or Reference(0.0, -20.0))


# ---- tables.py -------------------------------------------------------------------------------------------------
def test_a_loss_interval_is_printed_with_its_own_upper_bound():
    """Every interval is printed with its own upper bound, not as [lo, lo] (its lower bound twice), which would have a
    researcher read a loss of 4.50 (seeds 5 and 4) as known to the hundredth, [-1.85, -1.85], and below 0, where its 95%
    t-interval is 4.5 -+ 12.706 x 0.7071 / 1.4142 = 4.5 -+ 6.353 = [-1.85, 10.85] (it includes 0). The same in Table 1's
    gap column, the prose, and `_fmt_ci` at 3 digits (the IQM cells)."""
    from rlkit.report import Reference
    from rlkit.reproduce.prose import table1_paragraph
    from rlkit.reproduce.tables import _fmt_ci, final_table, table1_markdown

    ref = Reference(0.0, -20.0)
    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "FOCAL": progress_frames([(-4, -9, -6), (-8, -12, -6)]),  # online-prior losses 5 and 4
    }
    table = final_table(runs, 1, ref)
    assert table1_markdown(table, ref)[6].endswith("| 4.50 [-1.85, 10.85] |")  # FOCAL, online-prior row
    text = table1_paragraph(table, {}, frozenset())
    assert (
        "FOCAL loses 4.50 return from offline to online-prior context (95% CI of the loss [-1.85, 10.85]): the "
        "interval includes 0: not established at this number of seeds." in text
    )
    assert _fmt_ci(0.25, 0.75, 3) == "[0.250, 0.750]" and _fmt_ci(float("nan"), float("nan")) == "n/a (1 seed)"


def test_a_paired_difference_is_the_mean_of_the_seeds_not_their_median():
    """The per-seed difference is summarised by its mean, not its median: FOCAL losing 1, 2 and 6 to online-prior
    context (offline -5, online -6, -7, -11) loses 3.00 on average, not 2.00 (the median); two seeds, whose median is
    their mean, hid the slip. Its interval: 3 -+ 4.3027 x sd (sqrt 7 = 2.6458) / sqrt 3 = 3 -+ 6.572 = [-3.57, 9.57]."""
    from rlkit.reproduce.prose import table1_paragraph
    from rlkit.reproduce.tables import gap, paired_difference

    d, lo, hi = paired_difference(np.array([1.0, 2.0, 6.0]))
    assert d == pytest.approx(3.0) and (lo, hi) == pytest.approx((3 - T2 * np.sqrt(7 / 3), 3 + T2 * np.sqrt(7 / 3)))
    table = _table(
        {
            "CSRO": [(-5, -9, -6), (-5, -9, -8), (-5, -9, -7)],
            "FOCAL": [(-5, -6, -8), (-5, -7, -8), (-5, -11, -9)],
        }
    )
    assert gap(table, "FOCAL", "online")[0] == pytest.approx(3.0)
    assert (
        "FOCAL loses 3.00 return from offline to online-prior context (95% CI of the loss [-3.57, 9.57])"
        in table1_paragraph(table, {}, frozenset())
    )


def test_the_ablation_cells_are_the_runs_of_their_club_term_and_collection():
    """Fig. 4's four cells are FOCAL online-prior (neither), CSRO online-prior (CLUB only), FOCAL Np (Np only) and CSRO
    Np (both). Mean returns here -14, -9, -13, -7: reading FOCAL's online-prior runs for "Np only" would show -14, Np
    collection doing nothing for FOCAL; reading CSRO's Np runs for "CLUB only" would show -7, the CLUB term alone as
    good as both components."""
    from rlkit.reproduce.tables import ablation, ablation_markdown

    cells = ablation(_table(TWO_SEEDS))
    assert {k: c["mean"] for k, c in cells.items()} == {
        "neither (FOCAL, online prior)": pytest.approx(-14.0),
        "CLUB only (CSRO, online prior)": pytest.approx(-9.0),
        "Np only (FOCAL, Np)": pytest.approx(-13.0),
        "both (CSRO, Np)": pytest.approx(-7.0),
    }
    np.testing.assert_allclose(cells["Np only (FOCAL, Np)"].finals, [-12.0, -14.0])
    np.testing.assert_allclose(cells["CLUB only (CSRO, online prior)"].finals, [-9.0, -9.0])
    rows = [[c.strip() for c in line.strip("|").split("|")][:4] for line in ablation_markdown(cells)[2:]]
    assert rows == [  # score = 1 + mean / 20
        ["off", "online prior", "-14.00 ± 1.41", "0.300"],
        ["on", "online prior", "-9.00 ± 0.00", "0.550"],
        ["off", "Np", "-13.00 ± 1.41", "0.350"],
        ["on", "Np", "-7.00 ± 1.41", "0.650"],
    ]


# ---- prose.py: Table 1 ---------------------------------------------------------------------------------------------
def test_the_papers_loss_is_its_offline_return_minus_its_online_one():
    """The paper's point-robot Table 1 has FOCAL at -4.4 offline and -14.9 with online-prior context (OffPEARL -5.1 and
    -17.8): a loss of -4.4 - (-14.9) = 10.5 (12.7 for OffPEARL). Printed as online minus offline, -10.5, or with FOCAL's
    two returns swapped, either way a researcher would read that the paper's FOCAL gained return under context shift,
    the opposite of the claim the paper makes."""
    from rlkit.reproduce.prose import PAPER_TABLE1, paper_row_sentence, table1_paragraph

    assert PAPER_TABLE1["point-robot"] == {"FOCAL": (-4.4, -14.9), "OFFPEARL": (-5.1, -17.8)}
    assert paper_row_sentence("point-robot") == (
        "The paper's point-robot row: FOCAL -4.4 offline vs -14.9 online, OFFPEARL -5.1 offline vs -17.8 online; "
        "CSRO's Np return close to its offline one."
    )
    table = _table({**TWO_SEEDS, "OFFPEARL": [(-5, -9, -7), (-6, -12, -7)]})
    text = table1_paragraph(table, PAPER_TABLE1["point-robot"], frozenset())
    # FOCAL loses 10 and 7 (mean 8.5, half-width 12.706 x 2.1213 / 1.4142 = 19.06); OffPEARL 4 and 6 (5 -+ 12.71)
    assert (
        "FOCAL loses 8.50 return from offline to online-prior context (95% CI of the loss [-10.56, 27.56]; the "
        "paper's loss 10.5): the interval includes 0" in text
    )
    assert (
        "OFFPEARL loses 5.00 return from offline to online-prior context (95% CI of the loss [-7.71, 17.71]; the "
        "paper's loss 12.7)" in text
    )
    assert "paper's loss -" not in text


def test_csros_np_loss_is_offline_minus_np_not_minus_online():
    """CSRO's headline loss is read off its Np runs, not its online-prior runs: CSRO at offline -5 loses 1 and 3 to Np
    collection (Np -6, -8): 2.00, 95% CI 2 -+ 12.706 x 1.4142 / 1.4142 = [-10.71, 14.71]; and 4.00 on both seeds to
    online-prior context (-9). Read off the online-prior runs, it would print a Np loss of 4.00 [4.00, 4.00], twice
    CSRO's real loss and as if exact."""
    from rlkit.reproduce.prose import table1_paragraph

    text = table1_paragraph(_table(TWO_SEEDS), {}, frozenset())
    assert (
        "CSRO loses 2.00 return from offline to Np (95% CI of the loss [-10.71, 14.71]), and loses 4.00 with "
        "online-prior context. " in text
    )


def test_csros_claim_compares_each_baselines_online_loss_with_csros_np_loss():
    """The baselines' loss is taken from their own (online-prior) protocol, not from their Np runs. FOCAL loses 10 and 7
    to online-prior context, CSRO 1 and 3 to Np: per-seed differences 9 and 4, mean 6.50, 95% CI
    6.5 -+ 12.706 x 3.5355 / 1.4142 = 6.5 -+ 31.77 = [-25.27, 38.27]. FOCAL's Np losses (7 and 8) would give 6 and 5:
    5.50 [-0.85, 11.85], a comparison the paper does not make (Table 1 sets each baseline in its own protocol against
    CSRO with Np)."""
    from rlkit.reproduce.prose import table1_paragraph

    text = table1_paragraph(_table(TWO_SEEDS), {}, frozenset())
    assert (
        "Each baseline's online-prior loss minus CSRO's Np loss, paired by seed (95% CI): FOCAL 6.50 [-25.27, 38.27]"
        in text
    )


def test_an_interval_straddling_0_leaves_the_claim_open_not_reversed():
    """The sentence "CSRO loses more than <baseline>" is read off the interval's upper bound below 0, not its lower
    bound below 0: FOCAL's online-prior loss minus CSRO's Np loss, 6.50 [-25.27, 38.27] (seeds 9 and 4, as above),
    includes 0: not established, where reading the lower bound would tell a researcher the paper's claim is refuted
    ("not reproduced here"). An interval wholly below 0 is still "loses more": FOCAL losing 0 on three seeds against
    CSRO's Np losses 4, 6, 5 gives differences -4, -6, -5: -5 -+ 4.3027 x 1 / 1.732 = [-7.48, -2.52]."""
    from rlkit.reproduce.prose import table1_paragraph

    text = table1_paragraph(_table(TWO_SEEDS), {}, frozenset())
    assert text.endswith(
        "FOCAL 6.50 [-25.27, 38.27]. Against FOCAL the interval includes 0: the paper's claim that CSRO's Np return "
        "stays closer to its offline one is not established at this number of seeds."
    )
    assert "CSRO loses more than" not in text
    below = _table(
        {
            "CSRO": [(-5, -9, -9), (-5, -9, -11), (-5, -9, -10)],  # Np losses 4, 6, 5
            "FOCAL": [(-5, -5, -8), (-6, -6, -8), (-4, -4, -9)],  # online-prior losses 0, 0, 0 (Np differs)
        }
    )
    assert table1_paragraph(below, {}, frozenset()).endswith(
        "FOCAL -5.00 [-7.48, -2.52]. CSRO loses more than FOCAL: the paper's claim is not reproduced here."
    )


def test_an_interval_lying_below_0_is_called_the_opposite_of_context_shift():
    """FOCAL gains return from offline to online-prior context on every seed (3, 4 and 3.5 over offline -8, -9,
    -8.5): mean gain 3.50, 95% interval of the loss -3.5 -+ 4.3027 x 0.5 / 1.7321 = [-4.74, -2.26], below 0: the
    paragraph says the opposite of context shift happened, not "not established"."""
    three = {
        "CSRO": [(-5, -9, -6), (-5, -9, -8), (-5, -9, -7)],
        "FOCAL": [(-8, -5, -12), (-9, -5, -14), (-8.5, -5, -13)],
    }
    text = table1_paragraph(_table(three), {}, frozenset())
    assert (
        "FOCAL gains 3.50 return from offline to online-prior context (95% CI of the loss [-4.74, -2.26]): the "
        "interval lies below 0: the opposite of context shift." in text
    )


def test_a_bound_just_past_0_is_printed_with_the_digits_its_verdict_reads():
    """A loss interval whose lower bound is 0.003 "excludes 0": printed to two decimals it read "[0.00, 4.97]" beside
    that verdict. Losses c - 1, c, c + 1 (c = 4.3027 / sqrt(3) + 0.003, so the half-width 4.3027 x 1 / sqrt(3) leaves
    0.003) print "[0.003, 4.97]"; a bound that is 0 prints 0.00, -0.0 too."""
    from rlkit.reproduce.tables import _fmt_ci

    c = T2 / np.sqrt(3) + 0.003
    three = {
        "CSRO": [(-5, -9, -6), (-5, -9, -8), (-5, -9, -7)],
        "FOCAL": [(-5, -5 - (c - 1), -12), (-5, -5 - c, -12), (-5, -5 - (c + 1), -12)],
    }
    text = table1_paragraph(_table(three), {}, frozenset())
    assert "(95% CI of the loss [0.003, 4.97]): the interval excludes 0: context shift reproduced." in text, text
    assert _fmt_ci(-4.2, -0.0004) == "[-4.20, -0.0004]" and _fmt_ci(-0.0, 0.5) == "[0.00, 0.50]"
    assert _fmt_ci(0.0001234, 0.5, 3) == "[0.000123, 0.500]"


# ---- prose.py: Fig. 3 and Fig. 4 -----------------------------------------------------------------------------------
def test_csro_is_called_highest_only_above_every_baseline():
    """The prose says "CSRO has the highest mean Np score" only when it beats all the baselines, not any one: mean Np
    returns CSRO -5.5, FOCAL -9.4, BOREL -1.5 (scores 1 + R / 10: 0.45, 0.06, 0.85): BOREL is highest, and a researcher
    told otherwise would read the paper's Fig. 3 ranking as reproduced."""
    from rlkit.reproduce.prose import curves_paragraph

    three = {"CSRO": [-5.0, -6.0, -5.5], "FOCAL": [-9.0, -9.8, -9.4], "BOREL": [-1.0, -2.1, -1.4]}
    assert "CSRO does not have the highest mean Np score; its Np return minus" in curves_paragraph(_np_table(three))
    del three["BOREL"]
    assert "CSRO has the highest mean Np score; its Np return minus" in curves_paragraph(_np_table(three))


def test_fig3_sets_csros_np_score_beside_the_baselines_own_online_score():
    """The sentence "Against the baselines' own online protocol (prior context)" prints the baselines' online-prior
    scores, not their Np scores: CSRO's Np score (returns -6, -8 on the 0 .. -20 scale) is 0.650 against FOCAL's
    online-prior 0.300 (returns -15, -13); FOCAL's Np score, 0.350 (-12, -14), is not its own protocol's."""
    from rlkit.reproduce.prose import curves_paragraph

    assert (
        "Against the baselines' own online protocol (prior context), CSRO's Np score 0.650 compares with FOCAL 0.300."
        in curves_paragraph(_table(TWO_SEEDS))
    )


def test_fig4_orders_its_cells_by_score_not_by_name():
    """Fig. 4's "order the four cells as" sorts the cells by score, not by name: scores neither 0.300, Np only 0.350,
    CLUB only 0.550, both 0.650 (mean returns -14, -13, -9, -7 on the 0 .. -20 scale) read in that order; sorted by
    name, a researcher would read "CLUB only (0.550) < Np only (0.350) < both (0.650) < neither (0.300)"."""
    from rlkit.reproduce.prose import ablation_paragraph
    from rlkit.reproduce.tables import ablation

    assert ablation_paragraph(ablation(_table(TWO_SEEDS))).startswith(
        "Mean normalised scores order the four cells as neither (0.300) < Np only (0.350) < CLUB only (0.550) < "
        "both (0.650). This is the paper's ordering"
    )


# ---- document.py ---------------------------------------------------------------------------------------------------
def test_the_bootstrap_of_four_seeds_or_fewer_is_said_to_cover_far_less_than_95_percent():
    """Three seeds (the paper's count, and the demo report's) and four are said to cover "far less than 95%", not
    "less than 95%" like five: up to 4 values the percentile bootstrap's interval is their range (`iqm_lines`), so the
    report must say "far less"; from 5 seeds on it says "less than 95%"."""
    from rlkit.reproduce.document import intervals_sentence

    assert "(shown; with 2 seeds it covers far less than 95%)" in intervals_sentence(2)
    assert "(shown; with 3 seeds it covers far less than 95%)" in intervals_sentence(3)
    assert "(shown; with 4 seeds it covers far less than 95%)" in intervals_sentence(4)
    assert "(shown; with 5 seeds it covers less than 95%)" in intervals_sentence(5)


def test_table1s_iqm_interval_is_printed_to_three_decimals_like_its_point(monkeypatch):
    """Table 1's IQM cell prints its interval at the IQM's own 3 decimals: an interval of (0.25, 0.875) around 0.7 is
    "0.700 [0.250, 0.875]", not rounded to "[0.25, 0.88]" beside a 3-decimal point."""
    _fixed_iqm(monkeypatch, 0.7, 0.25, 0.875)
    ref = Reference(0.0, -20.0)
    table = tables.final_table({"CSRO": progress_frames([(-4, -9, -6), (-8, -9, -6)])}, 1, ref)
    row = tables.table1_markdown(table, ref)[2]
    assert row == "| CSRO | offline context | -6.00 ± 2.83 | 0.700 | 0.700 [0.250, 0.875] |  |"


def test_a_best_score_of_exactly_one_half_is_not_called_below_one_half():
    """A best offline score of exactly LEARNED_SCORE (0.5: returns -10 on the 0 .. -20 scale) has learned by the
    threshold; where it is still not above doing nothing (zero action's score 0.6) the sentence gives the reason "not
    above the zero-action return's score", not "(below 0.5)"."""
    table = final_table({"CSRO": progress_frames([(-10, -12, -11), (-10, -13, -12)])}, 1, Reference(0.0, -20.0))
    text = not_learned_sentence(table, 0.6)
    assert "the best offline score is 0.500, not above the zero-action return's score (0.600): no method" in text
    assert "below 0.5" not in text


def test_a_weak_policy_above_doing_nothing_is_not_said_to_be_below_it():
    """A best offline score of 0.2 (below 0.5) with doing nothing at 0.1 is weak, but it does beat standing still: the
    sentence gives only the threshold as the reason, not "no method does better than doing nothing"."""
    table = final_table({"CSRO": progress_frames([(-16, -17, -18), (-16, -18, -17)])}, 1, Reference(0.0, -20.0))
    text = not_learned_sentence(table, 0.1)
    assert text.startswith(
        "**No method has learned the tasks at this profile**: the best offline score is 0.200 (below 0.5), so every "
        "return is far from the top reference"
    )
    assert "doing nothing" not in text


def test_a_learned_baseline_losing_exactly_nothing_on_every_seed_has_context_shift_not_established():
    """FOCAL's online-prior return equals its offline one on both seeds (gaps 0 and 0: the interval is [0, 0]) while its
    Np return differs (not context-blind), and the methods have learned (scores near 0.94): the interval includes 0, so
    context shift is not established; neither "excludes 0: context shift reproduced" (lo >= 0) nor "lies below 0"
    (hi <= 0)."""
    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "FOCAL": progress_frames([(-6, -6, -12), (-7, -7, -14)]),
    }
    text = table1_paragraph(final_table(runs, 1, Reference(-4.0, -20.0)), {}, frozenset())
    assert (
        "FOCAL loses 0.00 return from offline to online-prior context (95% CI of the loss [0.00, 0.00]): the interval "
        "includes 0: not established at this number of seeds." in text
    )


def test_csros_claim_is_not_established_when_it_loses_exactly_what_the_baseline_loses():
    """CSRO loses 1 from offline to Np on both seeds and FOCAL 1 from offline to online-prior on both: the per-seed
    difference of the losses is 0 and 0, its interval [0, 0] includes 0, so the paper's claim is not established; it is
    not "Every interval lies above 0: ... holds here"."""
    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-6, -9, -7)]),
        "FOCAL": progress_frames([(-5, -6, -12), (-6, -7, -14)]),
    }
    text = table1_paragraph(final_table(runs, 1, Reference(-4.0, -20.0)), {}, frozenset())
    assert "paired by seed (95% CI): FOCAL 0.00 [0.00, 0.00]. Against FOCAL the interval includes 0: the paper" in text
    assert "holds here" not in text


def test_csro_tied_with_a_baseline_on_every_seed_is_neither_above_nor_below_it():
    """CSRO's Np returns equal FOCAL's on both seeds: the paired difference is [0, 0], so the ranking against FOCAL is
    not established (not "below FOCAL", nor left unsaid). Half a unit ahead on both seeds, it is above FOCAL."""
    text = curves_paragraph(_np_table({"CSRO": [-5.0, -6.0], "FOCAL": [-5.0, -6.0]}))
    assert (
        "paired by seed (95% CI): FOCAL 0.00 [0.00, 0.00]: not established against FOCAL (the ranking is not "
        "established at this number of seeds). Against" in text
    )
    # half a unit of return ahead on both seeds: [0.50, 0.50] lies above 0 (not "above" only past 1)
    text = curves_paragraph(_np_table({"CSRO": [-4.5, -5.5], "FOCAL": [-5.0, -6.0]}))
    assert "paired by seed (95% CI): FOCAL 0.50 [0.50, 0.50]: above FOCAL. Against" in text


def test_fig4_ordering_is_not_firm_when_both_ties_a_half_on_every_seed():
    """With 'both' equal to the CLUB-only cell on every seed, that difference's interval is [0, 0], which includes 0, so
    the ordering is "not firm" (an interval with its lower bound at 0 is not above 0), though the other difference
    (2 and 2) is firmly above 0."""

    def cell(finals):
        f = np.array(finals, dtype=float)
        return pd.Series({"score": (f / 10 + 1).mean(), "finals": f})

    text = ablation_paragraph(
        {
            "neither": cell([-9.0, -9.5]),
            "CLUB only": cell([-3.0, -3.5]),
            "Np only": cell([-5.0, -5.5]),
            "both": cell([-3.0, -3.5]),
        }
    )
    assert "CLUB only 0.00 [0.00, 0.00], Np only 2.00 [2.00, 2.00]" in text
    assert text.endswith(", an interval including 0 or below it, so the ordering is not firm.")
    # the order of the scores says the tie too: "CLUB only (0.675) = both", not "<" between equal scores
    assert "as neither (0.075) < Np only (0.475) < CLUB only (0.675) = both (0.675). This is not the paper's" in text


def test_fig4_with_one_seed_says_its_ordering_is_not_tested():
    """One seed a cell: no interval for 'both' minus each half, so the ordering is said to be untested (not "firm", nor
    "not firm" off nan bounds)."""

    def cell(final):
        return pd.Series({"score": final / 10 + 1, "finals": np.array([final])})

    cells = {"neither": cell(-9.0), "CLUB only": cell(-3.0), "Np only": cell(-5.0), "both": cell(-1.0)}
    assert ablation_paragraph(cells).endswith(
        "in return (not score), paired by seed (95% CI): CLUB only 2.00 n/a (1 seed), Np only 4.00 n/a (1 seed), with "
        "one seed no interval, so the ordering is not tested."
    )


def test_the_curves_paragraph_of_csro_alone_gives_its_scores_and_no_ranking():
    """With CSRO the only method there is nothing to rank: the paragraph gives the Np scores and stops, not "CSRO has
    the highest mean Np score" over no baseline."""
    assert (
        curves_paragraph(_np_table({"CSRO": [-5.0, -6.0]}))
        == "Final Np scores (IQM [95% CI]): CSRO 0.000 n/a (1 seed)."
    )


def test_a_context_blind_csro_is_not_credited_with_the_papers_claim():
    """CSRO whose three protocols give the same return on every seed uses no context: beside a baseline that loses
    context, the claim is not tested; with only "collapsed" checked, the blind CSRO's zero gap was read as the
    paper's claim holding."""
    runs = {
        "CSRO": progress_frames([(-5, -5, -5), (-6, -6, -6)]),
        "FOCAL": progress_frames([(-4, -14, -6), (-3, -10, -5)]),
    }
    text = table1_paragraph(final_table(runs, 1, Reference(-4.0, -20.0)), {}, frozenset())
    assert text.endswith(
        "CSRO's z gives the same return in its three protocols on every seed, so its gaps measure no use of context: "
        "the paper's claim is not tested."
    )
    assert "holds here" not in text


def test_a_context_blind_baseline_is_not_csros_comparison():
    """A blind baseline is no comparison for CSRO's Np loss: with it the only baseline, the sentence says so (a
    blind OFFPEARL compared with was "the interval includes 0: the paper's claim is not established")."""
    runs = {
        "CSRO": progress_frames([(-4, -9, -5), (-3, -8, -4)]),
        "OFFPEARL": progress_frames([(-4.4, -4.4, -4.4), (-4.6, -4.6, -4.6)]),
    }
    text = table1_paragraph(final_table(runs, 1, Reference(-4.0, -20.0)), {}, frozenset())
    assert text.endswith("; no baseline whose z uses its context to compare with.")


def test_the_learned_verdict_reads_the_mean_offline_score_not_the_iqm():
    """Five seeds scoring 0.1, 0.55, 0.55, 0.55, 0.55 offline: mean 0.460, below 0.5 (no method has learned), where
    the IQM is 0.55 (with two or three seeds the two agree)."""
    runs = {"CSRO": progress_frames([(-18, -19, -18), *[(-9, -10, -9)] * 4])}
    text = table1_paragraph(final_table(runs, 1, Reference(0.0, -20.0)), {}, frozenset())
    assert "0.460 (below 0.5)" in text


def test_a_weak_baselines_gain_on_every_seed_excludes_0():
    """Between weak policies (no method learned: best offline score 0.25), a baseline that gains 2 from offline to
    online on both seeds has the interval [-2, -2], which excludes 0."""
    runs = {"FOCAL": progress_frames([(-15, -13, -14), (-15, -13, -16)])}
    text = table1_paragraph(final_table(runs, 1, Reference(0.0, -20.0)), {}, frozenset())
    assert "[-2.00, -2.00]): the interval excludes 0, between weak policies (above)." in text


def test_a_tie_is_not_called_csros_highest_np_score():
    """CSRO's and FOCAL's mean Np returns equal (-5.5): CSRO does not have the highest."""
    text = curves_paragraph(_np_table({"CSRO": [-5.0, -6.0], "FOCAL": [-6.0, -5.0]}))
    assert "CSRO does not have the highest mean Np score" in text


def test_a_scale_whose_top_is_below_standing_still_is_named_in_each_verdict():
    """Doing nothing scoring above the top reference (`still` >= 1): each verdict compares policies "on a score that
    does not measure learning", not "between weak policies" (the two branches' words had no test)."""
    runs = {"FOCAL": progress_frames([(-15, -13, -14), (-15, -13, -16)])}
    text = table1_paragraph(final_table(runs, 1, Reference(0.0, -20.0)), {}, frozenset(), still=1.2)
    assert "the interval excludes 0, on a score that does not measure learning (above)." in text
    assert "between weak policies" not in text
