"""How CLSC work looks: the behavioural parameters of the synthetic extract, in one place.

Nothing here is an official statistic. The numbers are plausible orders of magnitude chosen
so that the published statistics have a realistic shape: users concentrated at 0-4 years
(perinatal) and 65+ (home support), about 17 interventions per user per year with a long
tail, SAPA the largest programme, most requests served within their target delay.

A *service line* is what one episode of care looks like: a programme, the centre
d'activités the user is assigned to, who works on it, how long it lasts, how often the user
is seen. A user has one or more episodes; each episode may start with a request.
`compile_model` turns the tables into index arrays the vectorised generator uses and checks
every code against the seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from iclsc.generate.sampling import ConditionalChoice
from iclsc.generate.seeds import Reference

PROGRAMMES = ("SAPA", "SPH", "SG", "SM", "JD", "SPUB", "DP", "DITSA", "DÉP")
AGE_GROUPS = ("00-04", "05-17", "18-24", "25-44", "45-64", "65-74", "75-84", "85+")
ALL_AGES = tuple(range(len(AGE_GROUPS)))
ADULTS = (2, 3, 4, 5, 6, 7)
MINORS = (0, 1)
SEXES = ("F", "M")  # population cells; X is drawn on top (see population.py)

# Relative chance that a resident of an age group uses the CLSC in a year: heavy at 0-4
# (nearly every newborn gets a postnatal visit) and rising after 65 (home support).
USE_RATE_BY_AGE_GROUP = (0.45, 0.10, 0.10, 0.11, 0.12, 0.16, 0.28, 0.45)

# Main programme of a user, by age group (rows) - columns in PROGRAMMES order.
PROGRAMME_BY_AGE_GROUP = {
    "00-04": dict(SPUB=0.60, JD=0.12, DITSA=0.08, DP=0.05, SPH=0.12, SG=0.08),
    "05-17": dict(JD=0.30, SPUB=0.14, DITSA=0.12, SG=0.12, SM=0.14, SPH=0.08, DP=0.06, DÉP=0.04),
    "18-24": dict(SG=0.36, SM=0.22, SPH=0.20, DÉP=0.10, SPUB=0.06, DP=0.05, DITSA=0.05),
    "25-44": dict(SG=0.34, SPH=0.25, SM=0.18, SPUB=0.08, DÉP=0.08, DP=0.08, DITSA=0.03),
    "45-64": dict(SPH=0.36, SG=0.28, SM=0.13, SAPA=0.08, DP=0.09, DÉP=0.06, DITSA=0.01, SPUB=0.03),
    "65-74": dict(SAPA=0.40, SPH=0.38, SG=0.10, SM=0.04, DP=0.06, DÉP=0.01, SPUB=0.01),
    "75-84": dict(SAPA=0.60, SPH=0.28, SG=0.06, SM=0.02, DP=0.04),
    "85+": dict(SAPA=0.78, SPH=0.15, SG=0.04, DP=0.02, SM=0.01),
}
# Pregnancy follow-up makes SPUB more frequent for women of 18-44.
SPUB_FACTOR_WOMEN_18_44 = 3.0

# Episodes beyond the first: more episodes in the same programme (a home-support user gets
# nursing, then home help, then occupational therapy...) and sometimes another programme.
EXTRA_SAME_PROGRAMME = dict(SAPA=0.6, DP=0.2, DITSA=0.2)
EXTRA_SAME_PROGRAMME_DEFAULT = 0.08
OTHER_PROGRAMME_PROBABILITY = 0.15
# Multiplies every service line's pace: calibrates the overall average to about 17
# intervention rows per user per fiscal year (the paces above are relative to each other).
PACE_SCALE = 1.25
# A user's own pace is the line's pace times a gamma draw of mean 1 (the long tail), capped.
MAX_PERSONAL_PACE = 6.0


@dataclass(frozen=True)
class ServiceLine:
    key: str
    programme: str
    centre: str  # centre d'activités code
    weight: float  # within its programme
    categories: dict[str, float]  # job category of the provider -> weight
    duration_days: float  # median length of the episode
    per_30_days: float  # mean interventions per 30 days while it runs
    request: float  # chance that the episode starts with a request
    ages: tuple[int, ...] = ALL_AGES
    sex: str | None = None  # restricted to one sex (pregnancy)
    lieu: str = "clinic"  # lieu profile of in-person interventions
    family: float = 0.0  # share of its interventions given to a couple or family
    group: float = 0.0  # share given to a group
    raisons: dict[str, float] | None = None  # overrides the programme's reasons
    newborn: bool = False  # starts a few days after birth
    dispersion: float = 0.8  # gamma shape of the user's intensity: small = long tail


L = ServiceLine
SERVICE_LINES: tuple[ServiceLine, ...] = (
    # SAPA: home support for older adults, mostly at home and in person.
    L("sapa_nursing", "SAPA", "6173", 0.30, {"01": 0.62, "02": 0.33, "18": 0.05}, 240, 3.0,
      0.95, ages=(4, 5, 6, 7), lieu="home",
      raisons={"001": 0.4, "002": 0.3, "004": 0.15, "018": 0.1, "003": 0.05}),
    L("sapa_home_help", "SAPA", "6531", 0.25, {"03": 1.0}, 400, 6.0, 0.95,
      ages=(4, 5, 6, 7), lieu="home", raisons={"004": 0.85, "005": 0.1, "018": 0.05},
      dispersion=0.7),
    L("sapa_psychosocial", "SAPA", "6561", 0.12, {"04": 0.65, "05": 0.35}, 200, 1.2, 0.95,
      ages=(4, 5, 6, 7), lieu="home", family=0.04,
      raisons={"005": 0.4, "004": 0.3, "006": 0.2, "015": 0.1}),
    L("sapa_occupational", "SAPA", "7161", 0.10, {"07": 0.8, "09": 0.2}, 90, 1.5, 0.95,
      ages=(4, 5, 6, 7), lieu="home"),
    L("sapa_physio", "SAPA", "7162", 0.07, {"08": 0.55, "09": 0.45}, 60, 3.0, 0.95,
      ages=(4, 5, 6, 7), lieu="home"),
    L("sapa_nutrition", "SAPA", "7111", 0.04, {"10": 1.0}, 90, 0.8, 0.95,
      ages=(4, 5, 6, 7), lieu="home", raisons={"016": 1.0}),
    L("sapa_respiratory", "SAPA", "6351", 0.03, {"13": 1.0}, 300, 1.0, 0.95,
      ages=(4, 5, 6, 7), lieu="home", raisons={"001": 1.0}),
    L("sapa_hearing_speech", "SAPA", "6864", 0.02, {"14": 0.5, "15": 0.5}, 60, 1.2, 0.95,
      ages=(4, 5, 6, 7), lieu="home", raisons={"004": 0.6, "014": 0.4}),
    L("sapa_day_centre", "SAPA", "5980", 0.03, {"01": 0.3, "04": 0.3, "07": 0.2, "09": 0.2},
      150, 3.0, 0.9, ages=(5, 6, 7), group=0.12),
    # SPH: physical health, nursing at home after a hospital stay or at the CLSC.
    L("sph_home_nursing", "SPH", "6173", 0.35, {"01": 0.68, "02": 0.27, "18": 0.05}, 50, 6.0,
      0.9, lieu="home"),
    L("sph_clinic", "SPH", "5922", 0.50,
      {"01": 0.70, "02": 0.12, "18": 0.06, "12": 0.06, "10": 0.06}, 60, 3.0, 0.5,
      raisons={"001": 0.35, "002": 0.25, "003": 0.35, "016": 0.05}),
    L("sph_physio_home", "SPH", "7162", 0.15, {"08": 0.6, "09": 0.4}, 45, 3.0, 0.9,
      ages=ADULTS, lieu="home", raisons={"014": 0.6, "001": 0.4}),
    # SG: general services, short episodes.
    L("sg_intake", "SG", "5921", 0.35, {"04": 0.45, "01": 0.30, "05": 0.25}, 30, 4.0, 0.7),
    L("sg_psychosocial", "SG", "5920", 0.35, {"04": 0.45, "05": 0.25, "11": 0.15, "17": 0.15},
      90, 3.0, 0.9, family=0.04, group=0.02),
    L("sg_nursing", "SG", "5922", 0.30, {"01": 0.8, "02": 0.2}, 21, 4.0, 0.3,
      raisons={"001": 0.4, "002": 0.3, "003": 0.3}),
    # SM: mental health.
    L("sm_adult", "SM", "5930", 1.0,
      {"04": 0.30, "11": 0.20, "01": 0.15, "06": 0.10, "17": 0.17, "12": 0.08}, 200, 1.6, 0.95,
      ages=ADULTS, lieu="mental", family=0.03, group=0.08),
    L("sm_youth", "SM", "5931", 1.0, {"04": 0.3, "06": 0.3, "11": 0.2, "01": 0.2}, 180, 2.5,
      0.95, ages=MINORS, lieu="youth", family=0.08, group=0.05),
    # JD: youth in difficulty (0-17), often with the family.
    L("jd_psychosocial", "JD", "5910", 1.0, {"04": 0.35, "05": 0.20, "06": 0.25, "16": 0.20},
      180, 3.0, 0.95, ages=MINORS, lieu="youth", family=0.15, group=0.08),
    L("jd_early_childhood", "JD", "5973", 0.6, {"06": 0.3, "16": 0.3, "04": 0.2, "01": 0.2},
      200, 2.0, 0.95, ages=(0,), lieu="early", family=0.20),
    # SPUB: public health - perinatal, school health, vaccination.
    L("spub_newborn", "SPUB", "5970", 1.0, {"01": 0.85, "10": 0.08, "02": 0.07}, 75, 4.0, 0.8,
      ages=(0,), lieu="newborn", newborn=True, raisons={"009": 0.9, "016": 0.1}),
    L("spub_pregnancy", "SPUB", "5970", 1.0, {"01": 0.85, "10": 0.15}, 120, 2.5, 0.7,
      ages=(2, 3), sex="F", group=0.15, raisons={"009": 0.9, "016": 0.1}),
    L("spub_school", "SPUB", "5971", 1.0, {"01": 0.7, "19": 0.3}, 120, 1.5, 0.2, ages=(1,),
      lieu="school", group=0.10, raisons={"010": 0.5, "017": 0.3, "016": 0.2}),
    L("spub_vaccination", "SPUB", "5972", 0.3, {"01": 0.6, "02": 0.4}, 45, 2.0, 0.1,
      raisons={"010": 1.0}),
    L("spub_early_childhood", "SPUB", "5973", 0.4, {"06": 0.3, "16": 0.3, "01": 0.4}, 150, 2.0,
      0.8, ages=(0,), lieu="early", group=0.10, raisons={"012": 0.3, "011": 0.4, "016": 0.3}),
    # DP: physical disability.
    L("dp_clinic", "DP", "5960", 0.40, {"07": 0.35, "08": 0.30, "04": 0.20, "09": 0.15}, 120,
      1.8, 0.95, family=0.02),
    L("dp_occupational_home", "DP", "7161", 0.25, {"07": 1.0}, 90, 1.5, 0.95, lieu="home"),
    L("dp_physio_home", "DP", "7162", 0.20, {"08": 0.6, "09": 0.4}, 60, 3.0, 0.95,
      lieu="home"),
    L("dp_home_help", "DP", "6531", 0.10, {"03": 1.0}, 365, 5.0, 0.95, ages=ADULTS,
      lieu="home", dispersion=0.7),
    # DITSA: intellectual disability and autism.
    L("ditsa_clinic", "DITSA", "5961", 0.85, {"16": 0.4, "06": 0.3, "04": 0.2, "14": 0.1},
      300, 1.6, 0.95, lieu="youth", family=0.06, group=0.03),
    L("ditsa_home_help", "DITSA", "6531", 0.15, {"03": 1.0}, 365, 3.0, 0.95, lieu="home"),
    # DÉP: dependencies.
    L("dep_first_line", "DÉP", "5940", 1.0, {"04": 0.35, "17": 0.30, "01": 0.20, "06": 0.15},
      120, 2.5, 0.9, ages=(1, 2, 3, 4, 5, 6, 7), lieu="street", family=0.02, group=0.08),
)  # fmt: skip
del L

RAISONS_BY_PROGRAMME = {
    "SAPA": {"004": 0.45, "001": 0.2, "002": 0.1, "005": 0.12, "018": 0.05, "016": 0.03,
             "015": 0.05},
    "SPH": {"001": 0.45, "002": 0.25, "003": 0.2, "018": 0.05, "016": 0.05},
    "SG": {"007": 0.4, "001": 0.2, "003": 0.15, "006": 0.15, "015": 0.05, "017": 0.05},
    "SM": {"006": 0.6, "007": 0.3, "008": 0.05, "015": 0.05},
    "JD": {"011": 0.6, "007": 0.25, "015": 0.15},
    "SPUB": {"009": 0.45, "010": 0.35, "017": 0.1, "016": 0.1},
    "DP": {"014": 0.85, "005": 0.15},
    "DITSA": {"012": 0.6, "013": 0.3, "011": 0.1},
    "DÉP": {"008": 0.85, "007": 0.1, "015": 0.05},
}  # fmt: skip

ACTES_BY_CATEGORY = {
    "01": {"02": 0.35, "03": 0.15, "04": 0.10, "05": 0.10, "01": 0.15, "14": 0.10, "18": 0.05},
    "02": {"02": 0.5, "04": 0.2, "05": 0.2, "03": 0.1},
    "03": {"06": 0.7, "07": 0.3},
    "04": {"08": 0.5, "01": 0.15, "14": 0.15, "13": 0.15, "10": 0.05},
    "05": {"08": 0.5, "13": 0.3, "14": 0.2},
    "06": {"08": 0.6, "03": 0.2, "14": 0.2},
    "07": {"01": 0.3, "12": 0.4, "11": 0.3},
    "08": {"11": 0.7, "01": 0.2, "03": 0.1},
    "09": {"11": 0.9, "03": 0.1},
    "10": {"16": 0.8, "03": 0.2},
    "11": {"09": 0.7, "01": 0.2, "10": 0.1},
    "12": {"01": 0.5, "02": 0.3, "14": 0.2},
    "13": {"02": 0.6, "03": 0.3, "01": 0.1},
    "14": {"11": 0.6, "01": 0.4},
    "15": {"01": 0.6, "12": 0.4},
    "16": {"08": 0.5, "03": 0.3, "14": 0.2},
    "17": {"08": 0.6, "13": 0.3, "14": 0.1},
    "18": {"01": 0.4, "02": 0.4, "14": 0.2},
    "19": {"18": 0.5, "03": 0.5},
}
ACTE_ASSESSMENT = "01"  # the first in-person intervention of an episode is mostly this
ACTE_GROUP = "15"
ACTES_BEFORE_FIRST_VISIT = {"01": 0.5, "13": 0.25, "14": 0.25}  # the call before the visit
ACTE_PERINATAL = "17"
ACTE_VACCINE = "04"

# Median minutes of an in-person individual intervention, by job category.
MINUTES_BY_CATEGORY = {
    "01": 40, "02": 30, "03": 60, "04": 60, "05": 50, "06": 60, "07": 60, "08": 45, "09": 45,
    "10": 45, "11": 60, "12": 20, "13": 45, "14": 45, "15": 45, "16": 60, "17": 50, "18": 30,
    "19": 30,
}  # fmt: skip
MINUTES_FACTOR_BY_MODE = {"01": 1.0, "02": 0.35, "03": 0.85, "04": 0.5, "05": 0.25}
MINUTES_FACTOR_FAMILY = 1.25
MINUTES_GROUP = 105
MINUTES_SPREAD = 0.35  # sd of log minutes

# Modes: [in person, telephone, video, relative without the user, messaging].
MODE_CODES = ("01", "02", "03", "04", "05")
MODE_IN_PERSON, MODE_PHONE, MODE_VIDEO = 0, 1, 2
MODE_SHARES_HOME = (0.92, 0.06, 0.01, 0.005, 0.005)
MODE_SHARES_CLINIC = (0.64, 0.26, 0.06, 0.02, 0.02)
# Video grows slowly, taken from the telephone: + points of share per year after 2025-04-01.
VIDEO_GROWTH_PER_YEAR_HOME = 0.005
VIDEO_GROWTH_PER_YEAR_CLINIC = 0.015
CATEGORY_ALWAYS_IN_PERSON = ("03",)  # home help is hands-on
CATEGORY_MORE_VIDEO = ("11",)  # psychologists: twice the video share
MODE_SHARES_FAMILY = (0.85, 0.05, 0.10, 0.0, 0.0)
MODE_SHARES_GROUP = (0.90, 0.0, 0.10, 0.0, 0.0)

# Lieu of in-person interventions, by the service line's profile.
LIEU_PROFILES = {
    "home": {"02": 0.85, "03": 0.13, "01": 0.02},
    "clinic": {"01": 0.82, "02": 0.05, "07": 0.06, "06": 0.03, "08": 0.02, "99": 0.02},
    "school": {"04": 0.9, "01": 0.1},
    "youth": {"01": 0.60, "04": 0.15, "02": 0.15, "06": 0.10},
    "early": {"01": 0.45, "02": 0.35, "05": 0.20},
    "newborn": {"02": 0.75, "01": 0.25},
    "street": {"01": 0.65, "06": 0.12, "10": 0.15, "02": 0.08},
    "mental": {"01": 0.80, "02": 0.10, "06": 0.05, "10": 0.05},
    "family": {"01": 0.6, "02": 0.4},
    "group": {"01": 0.8, "06": 0.2},
    "group_school": {"04": 1.0},
}
LIEU_REMOTE = "11"  # telephone, video, messaging
LIEU_WITHOUT_USER = "01"  # meeting a relative without the user: at the CLSC

# Weekends: clinics are closed (an intervention drawn on a weekend moves to Monday), home
# services run seven days a week at a lower pace.
WEEKEND_SHIFT_CLINIC = 0.92
WEEKEND_SHIFT_HOME = 0.40
WEEKEND_SHIFT_HOME_HELP = 0.20

# Requests: priority shares, and the chance to be seen within the target delay.
PRIORITY_SHARES = {"P1": 0.05, "P2": 0.20, "P3": 0.35, "P4": 0.40}
TARGET_MET = {"P1": 0.72, "P2": 0.76, "P3": 0.80, "P4": 0.85}
LATE_TAIL_FACTOR = 0.7  # mean extra delay beyond the target, as a share of the target
LATE_TAIL_MIN_DAYS = 3
CALL_BEFORE_FIRST_VISIT = 0.25  # a telephone contact between reception and first visit

# Group sizes (users attached to one intervention).
FAMILY_SIZES = {2: 0.6, 3: 0.28, 4: 0.12}
GROUP_SIZE_MIN, GROUP_SIZE_MAX, GROUP_SIZE_MEAN_EXTRA = 3, 12, 3.5

# Where users are served: an installation of their own territory, else another one of
# their establishment.
SERVED_OUTSIDE_TERRITORY = 0.10
# A provider works at their own installation, sometimes at another one of the establishment.
PROVIDER_AWAY = 0.10
# A user mostly sees the same provider of a given category within an episode.
PROVIDER_CONTINUITY = 0.75


@dataclass
class CompiledModel:
    """The tables above as index arrays, checked against the seeds."""

    programmes: list[str]
    centres: list[str]
    categories: list[str]
    raisons: list[str]
    actes: list[str]
    lieux: list[str]
    modes: list[str]
    priorities: list[str]
    priority_targets: np.ndarray
    line_keys: list[str]
    line_programme: np.ndarray
    line_centre: np.ndarray
    line_home: np.ndarray
    line_duration: np.ndarray
    line_rate: np.ndarray  # per day
    line_dispersion: np.ndarray
    line_request: np.ndarray
    line_family: np.ndarray
    line_group: np.ndarray
    line_newborn: np.ndarray
    line_home_help: np.ndarray
    line_school: np.ndarray
    line_lieu_profile: np.ndarray
    line_perinatal: np.ndarray
    line_vaccination: np.ndarray
    use_rate: np.ndarray
    programme_choice: ConditionalChoice  # condition: age group * 2 + sex
    line_choice: ConditionalChoice  # condition: (programme * 8 + age group) * 2 + sex
    line_possible: np.ndarray  # [programme, age group, sex] has at least one line
    category_choice: ConditionalChoice  # condition: line
    raison_choice: ConditionalChoice  # condition: line
    acte_choice: ConditionalChoice  # condition: category
    acte_before_visit: ConditionalChoice
    lieu_choice: ConditionalChoice  # condition: lieu profile
    lieu_profiles: list[str]
    minutes_by_category: np.ndarray
    minutes_factor_by_mode: np.ndarray
    extra_same_programme: np.ndarray
    category_always_in_person: np.ndarray
    category_more_video: np.ndarray
    priority_shares: np.ndarray
    target_met: np.ndarray
    family_sizes: ConditionalChoice
    code_index: dict[str, dict[str, int]] = field(default_factory=dict)


def _weights(codes: list[str], weights: dict[str, float], what: str) -> np.ndarray:
    unknown = set(weights) - set(codes)
    if unknown:
        raise ValueError(f"{what}: codes not in the seeds: {sorted(unknown)}")
    return np.array([weights.get(code, 0.0) for code in codes], dtype=np.float64)


def compile_model(ref: Reference) -> CompiledModel:
    seed_programmes = {
        r["programme_code"]
        for r in ref.programmes
        if r["programme_category"] == "programme-services"
    }
    if set(PROGRAMMES) != seed_programmes:
        raise ValueError(f"programmes-services differ from the seed: {sorted(seed_programmes)}")
    programmes = list(PROGRAMMES)
    categories = list(ref.categories)
    raisons = list(ref.raisons)
    actes = list(ref.actes)
    lieux = [r["lieu_code"] for r in ref.lieux]
    modes = [r["mode_code"] for r in ref.modes]
    if list(MODE_CODES) != modes:
        raise ValueError(f"modes differ from the seed: {modes}")
    in_person = {r["mode_code"]: r["is_in_person"] == "true" for r in ref.modes}
    if [in_person[c] for c in MODE_CODES] != [True, False, False, False, False]:
        raise ValueError("only mode 01 may be in person in the generator's mode table")
    priorities = [r["priority_code"] for r in ref.priorities]
    if priorities != list(PRIORITY_SHARES):
        raise ValueError(f"priorities differ from the seed: {priorities}")

    centres = sorted({line.centre for line in SERVICE_LINES})
    for line in SERVICE_LINES:
        centre = ref.centres.get(line.centre)
        if centre is None:
            raise ValueError(f"{line.key}: centre d'activités {line.centre} not in the seed")
        if centre.programmes and line.programme not in centre.programmes:
            raise ValueError(f"{line.key}: {line.centre} does not serve {line.programme}")
        if line.centre == "4112":
            raise ValueError("4112 was archived on 2023-03-31")
        if line.lieu not in LIEU_PROFILES:
            raise ValueError(f"{line.key}: unknown lieu profile {line.lieu}")

    n_age, n_sex = len(AGE_GROUPS), len(SEXES)
    lines = SERVICE_LINES
    line_programme = np.array([programmes.index(x.programme) for x in lines], dtype=np.int16)

    # Which lines a (programme, age group, sex) may draw.
    table = np.zeros((len(programmes) * n_age * n_sex, len(lines)))
    for j, line in enumerate(lines):
        for age in line.ages:
            for s, sex in enumerate(SEXES):
                if line.sex is None or line.sex == sex:
                    table[(line_programme[j] * n_age + age) * n_sex + s, j] = line.weight
    possible = table.sum(axis=1).reshape(len(programmes), n_age, n_sex) > 0
    table[table.sum(axis=1) == 0, 0] = 1.0  # never drawn: programme_choice excludes it

    programme_table = np.zeros((n_age * n_sex, len(programmes)))
    for a, group in enumerate(AGE_GROUPS):
        weights = _weights(programmes, PROGRAMME_BY_AGE_GROUP[group], f"age group {group}")
        for s, sex in enumerate(SEXES):
            row = weights.copy()
            if sex == "F" and group in ("18-24", "25-44"):
                row[programmes.index("SPUB")] *= SPUB_FACTOR_WOMEN_18_44
            row[~possible[:, a, s]] = 0.0
            programme_table[a * n_sex + s] = row

    category_table = np.stack([_weights(categories, x.categories, x.key) for x in lines])
    raison_table = np.stack(
        [_weights(raisons, x.raisons or RAISONS_BY_PROGRAMME[x.programme], x.key) for x in lines]
    )
    acte_table = np.stack(
        [_weights(actes, ACTES_BY_CATEGORY[c], f"actes of {c}") for c in categories]
    )
    profiles = list(LIEU_PROFILES)
    lieu_table = np.stack([_weights(lieux, LIEU_PROFILES[p], p) for p in profiles])
    for code in (LIEU_REMOTE, LIEU_WITHOUT_USER):
        if code not in lieux:
            raise ValueError(f"lieu {code} not in the seed")
    is_home = {r["lieu_code"]: r["is_home"] == "true" for r in ref.lieux}
    for key in ("home", "newborn"):
        share = sum(w for code, w in LIEU_PROFILES[key].items() if is_home[code])
        if share < 0.7:
            raise ValueError(f"lieu profile {key} should be mostly at home")
    for code in (ACTE_ASSESSMENT, ACTE_GROUP, ACTE_PERINATAL, ACTE_VACCINE):
        if code not in actes:
            raise ValueError(f"acte {code} not in the seed")

    home = np.array([ref.centres[x.centre].is_home_support for x in lines])
    for j, line in enumerate(lines):
        if home[j] and line.lieu != "home":
            raise ValueError(f"{line.key}: home-support centre with a non-home lieu profile")

    family_sizes = ConditionalChoice(np.array([list(FAMILY_SIZES.values())]))
    return CompiledModel(
        programmes=programmes,
        centres=centres,
        categories=categories,
        raisons=raisons,
        actes=actes,
        lieux=lieux,
        modes=modes,
        priorities=priorities,
        priority_targets=np.array(
            [int(r["target_delay_days"]) for r in ref.priorities], dtype=np.int32
        ),
        line_keys=[x.key for x in lines],
        line_programme=line_programme,
        line_centre=np.array([centres.index(x.centre) for x in lines], dtype=np.int16),
        line_home=home,
        line_duration=np.array([x.duration_days for x in lines]),
        line_rate=np.array([x.per_30_days / 30.0 * PACE_SCALE for x in lines]),
        line_dispersion=np.array([x.dispersion for x in lines]),
        line_request=np.array([x.request for x in lines]),
        line_family=np.array([x.family for x in lines]),
        line_group=np.array([x.group for x in lines]),
        line_newborn=np.array([x.newborn for x in lines]),
        line_home_help=np.array([set(x.categories) == {"03"} for x in lines]),
        line_school=np.array([x.lieu == "school" for x in lines]),
        line_lieu_profile=np.array([profiles.index(x.lieu) for x in lines], dtype=np.int16),
        line_perinatal=np.array([x.centre == "5970" for x in lines]),
        line_vaccination=np.array([x.centre == "5972" for x in lines]),
        use_rate=np.array(USE_RATE_BY_AGE_GROUP),
        programme_choice=ConditionalChoice(programme_table),
        line_choice=ConditionalChoice(table),
        line_possible=possible,
        category_choice=ConditionalChoice(category_table),
        raison_choice=ConditionalChoice(raison_table),
        acte_choice=ConditionalChoice(acte_table),
        acte_before_visit=ConditionalChoice(
            _weights(actes, ACTES_BEFORE_FIRST_VISIT, "actes before the visit")[None, :]
        ),
        lieu_choice=ConditionalChoice(lieu_table),
        lieu_profiles=profiles,
        minutes_by_category=np.array(
            [MINUTES_BY_CATEGORY[c] for c in categories], dtype=np.float64
        ),
        minutes_factor_by_mode=np.array([MINUTES_FACTOR_BY_MODE[m] for m in MODE_CODES]),
        extra_same_programme=np.array(
            [EXTRA_SAME_PROGRAMME.get(p, EXTRA_SAME_PROGRAMME_DEFAULT) for p in programmes]
        ),
        category_always_in_person=np.isin(categories, CATEGORY_ALWAYS_IN_PERSON),
        category_more_video=np.isin(categories, CATEGORY_MORE_VIDEO),
        priority_shares=np.array(list(PRIORITY_SHARES.values())),
        target_met=np.array(list(TARGET_MET.values())),
        family_sizes=family_sizes,
        code_index={
            "categories": {c: i for i, c in enumerate(categories)},
            "actes": {c: i for i, c in enumerate(actes)},
            "lieux": {c: i for i, c in enumerate(lieux)},
        },
    )
