"""The page shell's style sheet: sent once with the shell (served by nginx, cached), not
over the websocket on every page run – in a 200-phone burst every websocket message counts
(docs/benchmarks.md), and the rating form's style was one of its largest.

The rating form's rules apply on rating links only: the shell's script marks <html> with
the class `rating-link` there (servicetjek.front.SHELL_SCRIPT).
"""

# Streamlit's own words are English and cannot be translated: what users would see of them is hidden.
# - "Press Enter to submit form" / "Press Ctrl+Enter to apply" under text fields, always the first
#   of the hints: hidden, the character count after it stays.
# - The main menu ("Print", "Record screen", "Made with Streamlit"): the browser prints anyway.
# - The toolbar over tables and charts ("Download as CSV", "Search", "Fullscreen", "Show data"):
#   our own exports are the way out (and escape formulas, which Streamlit's CSV does not).
# - The status widget's "Stop" button and its labels ("CONNECTING", "ERROR"): the icon stays.
# - A menu's default placeholder ("Choose an option"), seen when its text is cleared.
# Menu entries and page links wrap instead of being cut ("Tilgængelighedserklæring" in bold), so do a select box's
# options; on a phone, a long choice is written out under its box (whole_choice), and headings are
# smaller and hyphenated (Danish words are long: "Tilgængelighedserklæring"; <html lang> comes from the shell).
STREAMLIT_TEXT_STYLE = """
[data-testid="InputInstructions"] > span:first-child { display: none; }
[data-testid="InputInstructions"] > span + span::before { content: none; }
[data-testid="stMainMenu"], [data-testid="stElementToolbar"] { display: none; }
[data-testid="stStatusWidget"] button, [data-testid="stStatusWidget"] label { display: none; }
input[placeholder="Choose an option"]::placeholder, input[placeholder="Choose options"]::placeholder,
input[placeholder="Choose a date"]::placeholder { color: transparent; }
a[data-testid="stPageLink-NavLink"] * { white-space: normal; overflow: visible; }
[data-testid="stSelectboxVirtualDropdown"] [role="option"] { height: auto !important; max-height: none !important;
  min-height: 2.5rem; }
[data-testid="stSelectboxVirtualDropdown"] [role="option"] > div { height: auto !important; max-height: none !important;
  white-space: normal; overflow: visible; text-overflow: clip; padding: 0.3rem 0; }
@media (min-width: 641px) { [class*="st-key-whole-choice-"] { display: none; } }
@media (max-width: 640px) { h1 { font-size: 2rem !important; } h2 { font-size: 1.4rem !important; }
  h1, h2, h3 { hyphens: auto; } }
"""

# Each theme's name stands out like a heading although it is part of the radio's label.
# Tap targets are at least 44 × 44 px on a phone (WCAG 2.5.5): the answer options, the links
# at the top (language, accessibility statement; not the receipt's link inside a sentence),
# the group menu and the button. Streamlit's English "Press Ctrl+Enter to submit form" under
# the comment is hidden; the character count stays.
RATING_FORM_STYLE = """
.rating-link div[data-testid="stRadio"] { margin-top: 0.75rem; }
.rating-link div[data-testid="stRadio"] [data-testid="stWidgetLabel"] strong {
  display: block; font-size: 1.2rem; font-weight: 600; margin-bottom: 0.3rem; }
.rating-link div[data-testid="stRadio"] [role="radiogroup"] label { min-height: 44px; min-width: 44px; margin: 0;
  padding-right: 0.5rem; align-items: center; }
.rating-link [data-testid="stMarkdownContainer"] :is(a[href*="?r="], a[href*="accessibility?"]) {
  display: inline-flex; align-items: center; min-height: 44px; padding-right: 1rem; }
.rating-link div[data-testid="stSelectbox"] [role="group"] { min-height: 44px; }
.rating-link div[data-testid="stFormSubmitButton"] button { min-height: 48px; }
"""

# The theme uses the phone's own font (.streamlit/config.toml); until the theme arrives over
# the websocket Streamlit draws with its default Source Sans (170 KB), so the shell maps that
# name to fonts already on the device.
FONTS = "".join(
    f'@font-face{{font-family:"Source Sans";font-style:{style};font-weight:100 900;'
    f'src:local("Segoe UI"),local("Roboto"),local("Helvetica Neue"),local("Arial"),local("DejaVu Sans")}}'
    for style in ("normal", "italic"))

SHELL_STYLE = FONTS + STREAMLIT_TEXT_STYLE + RATING_FORM_STYLE
