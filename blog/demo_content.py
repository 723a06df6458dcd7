"""The words of ``blog demo``: posts and comments written for this project."""

from __future__ import annotations

# (title, tags, days ago (negative: scheduled ahead; None: draft), excerpt, body)
POSTS: list[tuple[str, list[str], float | None, str, str]] = [
    (
        "Welcome to the demo blog",
        ["Getting started", "Meta"],
        6,
        "A quick tour of what this demo site holds and who can do what.",
        """\
This site was filled in by `blog demo` a moment ago, so that you have
something to click through. Everything you see can be changed or deleted.

## Who does what

- **Readers** read the posts and join the discussion below each one, as a
  guest or with an account.
- **Authors** write posts in Markdown under *Write*: drafts, scheduled posts,
  tags, images.
- **Moderators** work the queue of held comments under *Moderation*.
- **Admins** manage users, roles and site settings.

The demo made one account for each role. Their addresses and the password
were printed in the terminal where you ran the command.

## Where to go next

Read the post about Markdown to see what a post can contain, then the one
about moderation to learn why some comments wait before they appear. When
you have seen enough, log in as the author and write something of your own.
""",
    ),
    (
        "Writing posts in Markdown",
        ["Markdown", "Writing"],
        5,
        "Headings, lists, links, code, tables and images: a sampler.",
        """\
Posts are written in Markdown, a plain-text format that stays readable while
you type it. The site turns it into HTML when you save and keeps both.

## The everyday parts

Wrap a word in one asterisk for *emphasis* and in two for **strong
emphasis**. A link looks like [the CommonMark spec](https://commonmark.org/).
Start lines with `-` for a list:

- one idea per line
- as many lines as you like

Or with numbers for steps:

1. Write a draft.
2. Press *Preview* to see it rendered.
3. Save it as published, or schedule it.

## Quotes and code

> A blockquote starts with a greater-than sign.

Inline `code` uses backticks; a block uses three of them:

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

## Tables

| Status    | Who sees it        |
| --------- | ------------------ |
| Draft     | its author         |
| Scheduled | readers, from then |
| Published | everybody          |

Images you upload under *Images* come with a line of Markdown to paste,
such as `![a diagram](/uploads/…)`. Anything unsafe, such as scripts or
event handlers, is removed before a post is stored.
""",
    ),
    (
        "How comments are moderated",
        ["Moderation", "Comments"],
        4,
        "Why a comment may wait for a moderator, and what happens to it then.",
        """\
Every comment passes the same checks before anyone else can read it. Most
go straight through; some are held for a person to look at.

## What holds a comment

- It is the first comment from someone the site has not approved before.
- It has more links than the limit (two, unless a moderator changes it).
- It contains a word from the *hold* list.
- Readers flagged it as abusive.

A comment with a word from the *block* list goes to spam instead, and so do
comments from banned addresses.

## What the writer sees

Someone whose comment is held still sees it under the post, marked as
awaiting moderation. Nobody else does until a moderator approves it.

## What moderators do

The queue shows each held comment with the reasons it was held. A moderator
approves, rejects or marks it as spam, alone or in bulk, and every decision
lands in the moderation log with who made it and when.
""",
    ),
    (
        "Scheduling posts without a cron job",
        ["Publishing"],
        2,
        "A scheduled post appears on time, and nothing has to wake up to make it happen.",
        """\
Choose *Scheduled*, set a publication time in UTC, and save. The post now
waits. There is no background job that flips it to published later.

Instead, every page that lists posts asks the database for posts whose
status is published or scheduled **and** whose publication time has passed.
The moment the clock passes that time, the next visitor sees the post on the
home page, in its tag pages, in search and in the feed.

This keeps things simple to run: a missed job cannot leave a post
unpublished, and a server that was down at the scheduled moment still shows
the post as soon as it is back.
""",
    ),
    (
        "Running this blog for real",
        ["Operations"],
        1,
        "From the demo on SQLite to several app servers on PostgreSQL and Redis.",
        """\
The demo runs on SQLite with everything in one process, which is right for
trying things out and for small sites. For a busier site:

1. Point `BLOG_DATABASE_URL` at PostgreSQL and run `blog db upgrade`.
2. Set `BLOG_REDIS_URL`, so rate limits, the page cache and background jobs
   are shared by every process.
3. Serve the app with `gunicorn 'blog:create_app()'` on as many hosts as you
   need, and run one or more `blog worker` processes for mail.
4. Set `BLOG_BASE_URL` to the public address (it appears in mails and feeds)
   and `BLOG_MAIL_URL` to your mail server.

Nothing an app process keeps is needed by another, so you can add or remove
them at will.
""",
    ),
    (
        "Coming soon: notes from the first month",
        ["Meta"],
        -3,
        "What we learned running the blog for a month.",
        """\
This post is scheduled. Readers will see it on its publication time; until
then only its author and the admins can open it, from the author area.
""",
    ),
    (
        "Ideas for future posts",
        ["Writing"],
        None,
        "",
        """\
A draft: only its author and the admins can see it.

- A guide to the moderation settings
- Importing an old WordPress blog
- Themes: changing the templates and the stylesheet
""",
    ),
]

# Comments: (post index, key, parent key or None, writer, status, body, reasons code)
# writer: "reader", "author", "moderator" for demo users, else a guest's name.
COMMENTS: list[tuple[int, str, str | None, str, str, str, str | None]] = [
    (
        0,
        "c1",
        None,
        "reader",
        "approved",
        "Thanks for the tour! The *Write* link was easy to find.",
        None,
    ),
    (
        0,
        "c2",
        "c1",
        "author",
        "approved",
        "Glad it helped. Try the **Preview** button before you publish, it saves surprises.",
        None,
    ),
    (
        0,
        "c3",
        "c2",
        "Sam Guest",
        "approved",
        "Replying as a guest: threads nest nicely, even three levels deep.",
        None,
    ),
    (
        0,
        "c4",
        None,
        "Pat First-Timer",
        "pending",
        "My very first comment here. It waits for a moderator, as the moderation post explains.",
        "first_time",
    ),
    (
        1,
        "c5",
        None,
        "Sam Guest",
        "approved",
        "Comments take Markdown too, with `inline code` and links like https://example.org.",
        None,
    ),
    (
        2,
        "c6",
        None,
        "reader",
        "approved",
        "Good to know why my first comment took a while to show up.",
        None,
    ),
    (
        2,
        "c7",
        None,
        "Cheap Deals",
        "spam",
        "Buy cheap pills at http://spam.example and http://spam.example/more now!",
        "block_word",
    ),
    (
        2,
        "c8",
        None,
        "Off Topic",
        "rejected",
        "Does anyone know a good recipe for lentil soup?",
        "first_time",
    ),
]

REASONS = {
    "first_time": "A first comment from this commenter.",
    "block_word": 'Contains the blocked word "pills" (text).',
}
