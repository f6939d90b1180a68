"""A lab guide (Markdown) as one self-contained HTML page for the Windows
folder, where a double-click opens it in the browser: headings get GitHub's
anchors, so the guide's own links work; links to the other guide go to its
HTML; nothing is loaded from anywhere.

Usage: python3 .ci/guide-html.py GUIDE.md > GUIDE.html   (needs: pip install markdown-it-py)
"""
import html
import re
import sys
import unicodedata
import urllib.parse

try:
    from markdown_it import MarkdownIt
except ImportError:
    sys.exit("guide-html.py: needs markdown-it-py: python3 -m pip install markdown-it-py")

# The guides that travel together; any other link target is refused.
GUIDES = {"LAB.md": "LAB.html", "LAB.zh-CN.md": "LAB.zh-CN.html"}


def github_slug(text, separator="-"):
    """GitHub's heading anchor: lower case, punctuation dropped (letters,
    digits, spaces, hyphens and underscores of any script kept), each space
    a hyphen."""
    text = html.unescape(re.sub(r"<[^>]+>", "", text)).lower()
    kept = "".join(
        c for c in text
        if c in " -_" or unicodedata.category(c)[0] in ("L", "N", "M")
    )
    return kept.replace(" ", separator)


def convert(path):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    title = source.splitlines()[0].lstrip("# ").strip()
    # CommonMark, as GitHub reads it (code blocks inside list items too),
    # with GitHub's tables.
    body = MarkdownIt("commonmark").enable("table").render(source)
    seen = {}

    def anchor(match):
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            slug = f"{slug}-{count}"
        return f'<h{match.group(1)} id="{html.escape(slug, quote=True)}">{match.group(2)}</h{match.group(1)}>'

    body = re.sub(r"<h([1-6])>(.*?)</h\1>", anchor, body)
    anchors = set(seen)

    def link(match):
        target = urllib.parse.unquote(html.unescape(match.group(1)))
        if target.startswith(("http://", "https://")):
            return match.group(0)
        page, _, anchor = target.partition("#")
        if page and page not in GUIDES:
            sys.exit(f"guide-html.py: {path} links to {page}, which the folder does not hold")
        if not page and anchor not in anchors:
            sys.exit(f"guide-html.py: {path} links to #{anchor}, which it does not have")
        new = (GUIDES[page] if page else "") + (f"#{anchor}" if anchor else "")
        return f'href="{html.escape(new, quote=True)}"'

    body = re.sub(r'href="([^"]*)"', link, body)
    lang = "zh-CN" if path.endswith("zh-CN.md") else "en"
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, "Microsoft YaHei", sans-serif; max-width: 52em; margin: 2em auto;
  padding: 0 1em; line-height: 1.55; color: #1d2330; }}
code, pre {{ font-family: Consolas, ui-monospace, monospace; }}
pre {{ background: #f4f5f8; padding: .6em; overflow-x: auto; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccd; padding: .3em .5em; text-align: left; vertical-align: top; }}
</style></head>
<body>
{body}
</body></html>
"""


if __name__ == "__main__":
    sys.stdout.write(convert(sys.argv[1]))
