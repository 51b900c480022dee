"""Hostile text an editor (or a stolen editor account) might write, for every field that is rendered.

Reused by the reader, desk and API tests: each entry must come out inert
(see ``tests.support.html_checks.unsafe_html``) wherever it is shown.
"""

from __future__ import annotations

XSS_CORPUS: list[str] = [
    # Script tags, plain and disguised
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src=//evil.example/x.js></script>",
    "<<script>alert(1)//<</script>",
    "</textarea><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'--></style></script><script>alert(1)</script>",
    # Event handlers
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">click</a>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<details open ontoggle=alert(1)>",
    '" autofocus onfocus="alert(1)',
    # javascript: and data: links, raw and in Markdown
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '[click](https://ok.example "title" onmouseover="alert(1)")',
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    # Markdown image tricks
    "![x](javascript:alert(1))",
    "![x](x onerror=alert(1))",
    '![x](https://evil.example/x.png"onerror="alert(1))',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    # SVG and other active elements
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<base href="javascript:alert(1)//">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>body{display:none}</style>",
    # Template and encoding tricks
    "{{ request.user }}{% debug %}",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
]
