"""Tables of the Floridify database.

The database file is the truth about every job: a process may die at any
instant, and whatever it committed is what the next process resumes from.
Headword, part of speech and gloss are copied onto each job item so that
the result grid can filter and sort hundreds of thousands of items without
joins.
"""

import time

import peewee

database_proxy = peewee.DatabaseProxy()


def now() -> float:
    """Return the current time as Unix seconds, the unit of every time column."""
    return time.time()


class BaseModel(peewee.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Meta(BaseModel):
    """Key-value facts about the database itself, such as the schema version."""

    key = peewee.TextField(primary_key=True)
    value = peewee.TextField()


class Word(BaseModel):
    """A headword as the user imported it; `key` is its duplicate-detection key."""

    headword = peewee.TextField()
    key = peewee.TextField(unique=True)
    created_at = peewee.FloatField(default=now)


class Sense(BaseModel):
    """One definition of a headword, imported or produced by the definitions stage."""

    word = peewee.ForeignKeyField(Word, backref="senses", on_delete="CASCADE")
    position = peewee.IntegerField()
    part_of_speech = peewee.TextField(null=True)
    definition = peewee.TextField()
    example = peewee.TextField(null=True)
    source = peewee.TextField(default="import")  # "import" or "definitions"

    class Meta:
        indexes = ((("word", "position"), True),)


class EntryValue(BaseModel):
    """The value one component contributed to an entry.

    `scope` is "word:<id>" for word-level components and "sense:<id>" for
    sense-level ones; SQLite treats NULLs as distinct in unique indexes, so
    a nullable sense column could not keep one value per slot.
    """

    word = peewee.ForeignKeyField(Word, on_delete="CASCADE")
    sense = peewee.ForeignKeyField(Sense, null=True, on_delete="CASCADE")
    scope = peewee.TextField()
    component = peewee.TextField()
    value = peewee.TextField()  # JSON
    updated_at = peewee.FloatField(default=now)

    class Meta:
        indexes = ((("scope", "component"), True),)


class Job(BaseModel):
    """A run of chosen components over a set of headwords."""

    name = peewee.TextField()
    mode = peewee.TextField()  # "immediate" or "batch"
    model = peewee.TextField()
    components = peewee.TextField()  # JSON list of component names
    status = peewee.TextField(default="queued", index=True)
    position = peewee.IntegerField(default=0)
    created_at = peewee.FloatField(default=now)
    started_at = peewee.FloatField(null=True)
    finished_at = peewee.FloatField(null=True)
    stage = peewee.TextField(null=True)
    force_refresh = peewee.BooleanField(default=False)
    options = peewee.TextField(default="{}")  # JSON: temperature, fallback
    requests_sent = peewee.IntegerField(default=0)
    cache_hits = peewee.IntegerField(default=0)
    prompt_tokens = peewee.IntegerField(default=0)
    completion_tokens = peewee.IntegerField(default=0)
    cost = peewee.FloatField(default=0.0)
    estimated_tokens = peewee.IntegerField(default=0)
    estimated_cost = peewee.FloatField(default=0.0)
    fell_back = peewee.BooleanField(default=False)
    message = peewee.TextField(null=True)
    owner = peewee.TextField(null=True)  # "host:pid" of the process running it
    heartbeat_at = peewee.FloatField(null=True)


class RemoteBatch(BaseModel):
    """One Batch API batch and how far this app has got with it.

    `step` records local progress (intent, uploaded, created, downloaded,
    merged) apart from `status`, the remote batch's own status, so that a
    completed batch whose results were never merged is still picked up.
    """

    job = peewee.ForeignKeyField(Job, backref="batches", null=True, on_delete="CASCADE")
    token = peewee.TextField(unique=True)
    model = peewee.TextField()
    step = peewee.TextField(default="intent")
    status = peewee.TextField(null=True)
    remote_id = peewee.TextField(null=True, unique=True)
    input_file_id = peewee.TextField(null=True)
    output_file_id = peewee.TextField(null=True)
    error_file_id = peewee.TextField(null=True)
    request_count = peewee.IntegerField(default=0)
    completed_count = peewee.IntegerField(default=0)
    failed_count = peewee.IntegerField(default=0)
    merged_count = peewee.IntegerField(default=0)
    estimated_tokens = peewee.IntegerField(default=0)
    errors = peewee.TextField(null=True)  # JSON list from batch.errors.data
    message = peewee.TextField(null=True)
    created_at = peewee.FloatField(default=now)
    submitted_at = peewee.FloatField(null=True)
    in_progress_at = peewee.FloatField(null=True)
    finalizing_at = peewee.FloatField(null=True)
    ended_at = peewee.FloatField(null=True)
    expires_at = peewee.FloatField(null=True)
    updated_at = peewee.FloatField(default=now)


class JobItem(BaseModel):
    """One request-sized unit of a job: a word or sense times one component."""

    # No index of its own on job: the (job, status) index below serves the
    # same lookups, and every index costs time on each status change.
    job = peewee.ForeignKeyField(Job, backref="items", on_delete="CASCADE", index=False)
    word = peewee.ForeignKeyField(Word, on_delete="CASCADE")
    sense = peewee.ForeignKeyField(Sense, null=True, on_delete="CASCADE")
    headword = peewee.TextField()
    part_of_speech = peewee.TextField(null=True)
    gloss = peewee.TextField(null=True)
    component = peewee.TextField()
    stage = peewee.IntegerField(default=1)  # 0 = definitions, 1 = other components
    status = peewee.TextField(default="pending")
    attempts = peewee.IntegerField(default=0)
    outcome_code = peewee.TextField(null=True)
    outcome_message = peewee.TextField(null=True)
    request_key = peewee.TextField(null=True)
    batch = peewee.ForeignKeyField(RemoteBatch, null=True, on_delete="SET NULL")
    cache_hit = peewee.BooleanField(default=False)
    result = peewee.TextField(null=True)  # JSON content as validated
    max_tokens = peewee.IntegerField(null=True)
    updated_at = peewee.FloatField(default=now)

    class Meta:
        indexes = (
            (("job", "status"), False),
            (("job", "stage", "status"), False),
            (("status",), False),
            (("component",), False),
            (("headword",), False),
        )


class CachedResponse(BaseModel):
    """A validated response, keyed by the SHA-256 of the exact request body."""

    key = peewee.TextField(primary_key=True)
    model = peewee.TextField()
    component = peewee.TextField()
    content = peewee.TextField()
    prompt_tokens = peewee.IntegerField(default=0)
    completion_tokens = peewee.IntegerField(default=0)
    created_at = peewee.FloatField(default=now)


ALL_TABLES = [Meta, Word, Sense, EntryValue, Job, RemoteBatch, JobItem, CachedResponse]
