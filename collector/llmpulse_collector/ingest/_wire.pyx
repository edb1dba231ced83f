# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled ingest core: OTLP protobuf wire bytes straight to canonical columns.

``normalize_protobuf(body, project_id, now_ns, limits)`` does what
``normalize(ExportTraceServiceRequest.FromString(body), ...)`` does (``_normalize`` is
the reference, and ``tests/collector/ingest/test_fastpath_parity.py`` holds the two
equal), without building protobuf objects: a hand-written reader walks the
length-delimited messages (ExportTraceServiceRequest -> ResourceSpans -> ScopeSpans
-> Span -> KeyValue / AnyValue) and each attribute goes to the map and to its
canonical field in C, through the same convention table (``_conventions.KEYS``) and
the same value conversions. What is rare and involved is delegated to the very
Python helpers the reference uses: indexed messages (``IndexedMessages``), events
(``read_events``, fed light stand-ins for the protobuf events), content assembly,
pricing and the resource attributes.

Whenever the body is anything but plain, well-formed OTLP (a truncated or malformed
field, a field of the wrong wire type or unknown to this reader, invalid UTF-8, a
message given twice where protobuf would merge the two, nesting deeper than
``_MAX_DEPTH``) it raises ``Fallback`` and the caller decodes the body with the
protobuf runtime and normalizes it in Python: the same answer, 400s included.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeASCII, PyUnicode_DecodeUTF8
from libc.string cimport memcmp


cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object text, Py_ssize_t* size) except NULL
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.string cimport memcpy

import base64

from llmpulse_collector.ingest import _conventions, _values
from llmpulse_collector.ingest import _normalize as _ref
from llmpulse_collector.ingest._events import read_events
from llmpulse_collector.ingest._content import IndexedMessages, with_system_instructions
from llmpulse_collector.ingest._pricing import compute_cost
from llmpulse_collector.ingest._values import as_str_list, bounded, to_text

__all__ = ["Fallback", "normalize_protobuf"]


class Fallback(Exception):
    """The body needs the protobuf runtime (see the module docstring)."""


cdef int _MAX_DEPTH = 48  # nested AnyValues; far below the runtime's limit of 100

cdef object _ROLES = _ref._ROLES
cdef object _classify = _ref._classify
cdef object _PLAIN = _ref._PLAIN
cdef object _TAG = _ref._TAG
cdef object _INDEXED = _ref._INDEXED
cdef object _NO_RANK = _ref._NO_RANK
cdef object _CHECKED_FIELDS = _ref._CHECKED_FIELDS
cdef tuple _TOKEN_FIELDS = tuple(_ref._TOKEN_FIELDS)
cdef tuple _KINDS = tuple(_ref._KINDS)
cdef tuple _STATUSES = tuple(_ref._STATUSES)
cdef object _EMPTY_EVENTS = _ref._EMPTY_EVENTS
cdef object _INPUT_KEYS = _ref._INPUT_KEYS
cdef object _OUTPUT_KEYS = _ref._OUTPUT_KEYS
cdef object _first = _ref._first
cdef object _as_int = _values.as_int  # inlined for int values (see _append_spans)
cdef object _as_text = _conventions._text  # inlined for str values
cdef object _MAX_INT = _values._MAX_INT
cdef object _drop_absurd = _ref._drop_absurd
cdef object _drop_copy = _ref._drop_copy
cdef object _content = _ref.assemble_content
cdef object _time_problem = _ref._time_problem
cdef object _Run = _ref._Run
cdef object _Resource = _ref._Resource
cdef str INVALID_VALUES_KEY = _ref.INVALID_VALUES_KEY
cdef str DROPPED_TAGS_KEY = _ref.DROPPED_TAGS_KEY
cdef const char* _HEXC = b"0123456789abcdef"


# ---------------------------------------------------------------- wire reading

cdef inline int _varint(const unsigned char* b, Py_ssize_t* pos, Py_ssize_t end,
                        uint64_t* out) except -1:
    cdef uint64_t result = 0
    cdef int shift = 0
    cdef unsigned char byte
    cdef Py_ssize_t p = pos[0]
    while True:
        if p >= end or shift > 63:
            raise Fallback("truncated varint")
        byte = b[p]
        p += 1
        result |= (<uint64_t>(byte & 0x7F)) << shift
        if byte < 0x80:
            break
        shift += 7
    pos[0] = p
    out[0] = result
    return 0


cdef inline int _length(const unsigned char* b, Py_ssize_t* pos, Py_ssize_t end,
                        Py_ssize_t* start) except -1:
    """Read a length prefix; ``start`` gets the payload start, ``pos`` its end."""
    cdef uint64_t n = 0
    _varint(b, pos, end, &n)
    if n > <uint64_t>(end - pos[0]):
        raise Fallback("truncated field")
    start[0] = pos[0]
    pos[0] += <Py_ssize_t>n
    return 0


cdef inline uint64_t _fixed64(const unsigned char* b, Py_ssize_t* pos, Py_ssize_t end) except? 0xFFFFFFFFFFFFFFFF:
    cdef uint64_t value = 0
    if end - pos[0] < 8:
        raise Fallback("truncated fixed64")
    memcpy(&value, b + pos[0], 8)  # little-endian hosts only (checked at import)
    pos[0] += 8
    return value


cdef inline int _skip_fixed32(Py_ssize_t* pos, Py_ssize_t end) except -1:
    if end - pos[0] < 4:
        raise Fallback("truncated fixed32")
    pos[0] += 4
    return 0


cdef inline str _text(const unsigned char* b, Py_ssize_t start, Py_ssize_t stop):
    try:
        return PyUnicode_DecodeUTF8(<const char*>(b + start), stop - start, NULL)
    except UnicodeDecodeError:
        raise Fallback("invalid UTF-8") from None


cdef inline int _expect(uint64_t wire, uint64_t wanted) except -1:
    if wire != wanted:
        raise Fallback("unexpected wire type")
    return 0


cdef inline str _hex(const unsigned char* b, Py_ssize_t start, Py_ssize_t n):
    cdef char out[32]
    cdef Py_ssize_t i
    for i in range(n):
        out[2 * i] = _HEXC[b[start + i] >> 4]
        out[2 * i + 1] = _HEXC[b[start + i] & 15]
    return PyUnicode_DecodeASCII(out, 2 * n, NULL)


cdef inline bint _all_zero(const unsigned char* b, Py_ssize_t start, Py_ssize_t n):
    cdef Py_ssize_t i
    for i in range(n):
        if b[start + i]:
            return False
    return True


# ---------------------------------------------------------------- attribute keys

# Attribute keys repeat from span to span: a direct-mapped cache from the key's bytes to
# its str (decoded once, its hash computed once) and its role in ``_normalize._ROLES``
# (the role of a key never changes).
cdef enum:
    _KEY_SLOTS = 4096
    _MAX_CACHED_KEY = 128
cdef list _key_cache = [None] * _KEY_SLOTS


cdef inline tuple _key_role(const unsigned char* b, Py_ssize_t start, Py_ssize_t stop):
    """``(key, role)`` of the attribute key ``b[start:stop]``."""
    cdef Py_ssize_t n = stop - start, size = 0, i
    cdef uint64_t h = 1469598103934665603ULL
    cdef tuple entry
    cdef const char* cached
    if n > _MAX_CACHED_KEY:
        key = _text(b, start, stop)
        return key, _role(key)
    for i in range(n):
        h = (h ^ b[start + i]) * 1099511628211ULL
    slot = <Py_ssize_t>(h & (_KEY_SLOTS - 1))
    found = _key_cache[slot]
    if found is not None:
        entry = <tuple>found
        cached = PyUnicode_AsUTF8AndSize(entry[0], &size)
        if size == n and memcmp(cached, b + start, n) == 0:
            return entry
    key = _text(b, start, stop)
    entry = (key, _role(key))
    _key_cache[slot] = entry
    return entry


cdef inline object _role(str key):
    role = _ROLES.get(key)
    return role if role is not None else _classify(key)


# ---------------------------------------------------------------- values

cdef object _any_value(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end, int depth):
    """An AnyValue as ``value_of`` returns it (str, bool, int, float, list, dict, None)."""
    cdef uint64_t key = 0, number = 0, wire, field
    cdef Py_ssize_t start
    cdef object result = None
    cdef double real
    cdef bint seen = False
    if depth > _MAX_DEPTH:
        raise Fallback("deep value")
    while pos < end:
        if seen:
            raise Fallback("AnyValue with several fields")  # protobuf merges or replaces
        seen = True
        _varint(b, &pos, end, &key)
        field = key >> 3
        wire = key & 7
        if field == 1:
            _expect(wire, 2)
            _length(b, &pos, end, &start)
            result = _text(b, start, pos)
        elif field == 3:
            _expect(wire, 0)
            _varint(b, &pos, end, &number)
            result = <int64_t>number
        elif field == 4:
            _expect(wire, 1)
            number = _fixed64(b, &pos, end)
            memcpy(&real, &number, 8)
            result = real
        elif field == 2:
            _expect(wire, 0)
            _varint(b, &pos, end, &number)
            result = number != 0
        elif field == 5:
            _expect(wire, 2)
            _length(b, &pos, end, &start)
            result = _array(b, start, pos, depth + 1)
        elif field == 6:
            _expect(wire, 2)
            _length(b, &pos, end, &start)
            result = _kvlist(b, start, pos, depth + 1)
        elif field == 7:
            _expect(wire, 2)
            _length(b, &pos, end, &start)
            result = base64.b64encode(b[start:pos]).decode("ascii")
        else:
            raise Fallback("unknown AnyValue field")
    return result


cdef list _array(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end, int depth):
    cdef uint64_t key = 0
    cdef Py_ssize_t start
    cdef list items = []
    while pos < end:
        _varint(b, &pos, end, &key)
        if key != 10:  # field 1, length-delimited
            raise Fallback("unknown ArrayValue field")
        _length(b, &pos, end, &start)
        items.append(_any_value(b, start, pos, depth + 1))
    return items


cdef int _key_value(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end, int depth,
                    Py_ssize_t* key_start, Py_ssize_t* key_stop,
                    Py_ssize_t* value_start, Py_ssize_t* value_stop) except -1:
    """Locate a KeyValue's key and value (-1 positions: absent)."""
    cdef uint64_t key = 0
    cdef Py_ssize_t start
    key_start[0] = pos
    key_stop[0] = pos
    value_start[0] = -1
    value_stop[0] = -1
    while pos < end:
        _varint(b, &pos, end, &key)
        if key == 10:
            _length(b, &pos, end, &start)
            key_start[0] = start
            key_stop[0] = pos
        elif key == 18:
            if value_start[0] >= 0:
                raise Fallback("KeyValue with two values")  # protobuf merges them
            _length(b, &pos, end, &start)
            value_start[0] = start
            value_stop[0] = pos
        else:
            raise Fallback("unknown KeyValue field")
    return 0


cdef dict _kvlist(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end, int depth):
    cdef uint64_t key = 0
    cdef Py_ssize_t start, ks, ke, vs, ve
    cdef dict result = {}
    if depth > _MAX_DEPTH:
        raise Fallback("deep value")
    while pos < end:
        _varint(b, &pos, end, &key)
        if key != 10:
            raise Fallback("unknown KeyValueList field")
        _length(b, &pos, end, &start)
        _key_value(b, start, pos, depth + 1, &ks, &ke, &vs, &ve)
        name = _text(b, ks, ke)
        result[name] = _any_value(b, vs, ve, depth + 2) if vs >= 0 else None
    return result


# Light stand-ins for the protobuf messages the Python helpers read (``_Resource``,
# ``read_events`` -> ``value_of``): the same attribute names, holding decoded values.

cdef class _Value:
    cdef readonly object kind  # WhichOneof("value"); None when unset
    cdef readonly object raw

    def WhichOneof(self, name):
        return self.kind

    @property
    def string_value(self):
        return self.raw if self.kind == "string_value" else ""

    @property
    def int_value(self):
        return self.raw if self.kind == "int_value" else 0

    @property
    def bool_value(self):
        return self.raw if self.kind == "bool_value" else False

    @property
    def double_value(self):
        return self.raw if self.kind == "double_value" else 0.0

    @property
    def bytes_value(self):
        return self.raw if self.kind == "bytes_value" else b""

    @property
    def array_value(self):
        return _Values(self.raw if self.kind == "array_value" else [])

    @property
    def kvlist_value(self):
        return _Values(self.raw if self.kind == "kvlist_value" else [])


cdef class _Values:
    cdef readonly list values

    def __init__(self, list values):
        self.values = values


cdef class _KeyValue:
    cdef readonly str key
    cdef readonly _Value value


cdef class _Event:
    cdef readonly str name
    cdef readonly object time_unix_nano
    cdef readonly list attributes


cdef class _Attributes:
    cdef readonly list attributes


cdef _Value _value_message(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end, int depth):
    """An AnyValue as a ``_Value`` stand-in (for the Python helpers)."""
    cdef _Value value = _Value.__new__(_Value)
    cdef uint64_t key = 0, field, number = 0
    cdef Py_ssize_t start
    cdef double real
    cdef list items
    if depth > _MAX_DEPTH:
        raise Fallback("deep value")
    if pos >= end:
        return value
    _varint(b, &pos, end, &key)
    field = key >> 3
    if field == 1:
        _expect(key & 7, 2)
        _length(b, &pos, end, &start)
        value.kind, value.raw = "string_value", _text(b, start, pos)
    elif field == 2:
        _expect(key & 7, 0)
        _varint(b, &pos, end, &number)
        value.kind, value.raw = "bool_value", number != 0
    elif field == 3:
        _expect(key & 7, 0)
        _varint(b, &pos, end, &number)
        value.kind, value.raw = "int_value", <int64_t>number
    elif field == 4:
        _expect(key & 7, 1)
        number = _fixed64(b, &pos, end)
        memcpy(&real, &number, 8)
        value.kind, value.raw = "double_value", real
    elif field == 5:
        _expect(key & 7, 2)
        _length(b, &pos, end, &start)
        items = []
        _messages(b, start, pos, depth + 1, items, False)
        value.kind, value.raw = "array_value", items
    elif field == 6:
        _expect(key & 7, 2)
        _length(b, &pos, end, &start)
        items = []
        _messages(b, start, pos, depth + 1, items, True)
        value.kind, value.raw = "kvlist_value", items
    elif field == 7:
        _expect(key & 7, 2)
        _length(b, &pos, end, &start)
        value.kind, value.raw = "bytes_value", b[start:pos]
    else:
        raise Fallback("unknown AnyValue field")
    if pos < end:
        raise Fallback("AnyValue with several fields")
    return value


cdef int _messages(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end, int depth,
                   list out, bint pairs) except -1:
    """The field-1 messages of an ArrayValue (``_Value``s) or a KeyValueList /
    attribute list (``_KeyValue``s)."""
    cdef uint64_t key = 0
    cdef Py_ssize_t start
    while pos < end:
        _varint(b, &pos, end, &key)
        if key != 10:
            raise Fallback("unknown list field")
        _length(b, &pos, end, &start)
        if pairs:
            out.append(_kv_message(b, start, pos, depth + 1))
        else:
            out.append(_value_message(b, start, pos, depth + 1))
    return 0


cdef _KeyValue _kv_message(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end, int depth):
    cdef Py_ssize_t ks, ke, vs, ve
    cdef _KeyValue kv = _KeyValue.__new__(_KeyValue)
    _key_value(b, pos, end, depth, &ks, &ke, &vs, &ve)
    kv.key = _text(b, ks, ke)
    kv.value = _value_message(b, vs, ve, depth + 1) if vs >= 0 else _Value.__new__(_Value)
    return kv


# ---------------------------------------------------------------- messages around spans

cdef _Attributes _attribute_holder(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end,
                                   int fields):
    """A Resource (``fields`` 2: attributes, dropped count) or an InstrumentationScope's
    attributes (4: name, version, attributes, dropped count) as a stand-in."""
    cdef _Attributes holder = _Attributes.__new__(_Attributes)
    cdef uint64_t key = 0, field, number = 0
    cdef Py_ssize_t start
    holder.attributes = []
    while pos < end:
        _varint(b, &pos, end, &key)
        field = key >> 3
        if fields == 2 and field == 1 or fields == 4 and field == 3:
            _expect(key & 7, 2)
            _length(b, &pos, end, &start)
            holder.attributes.append(_kv_message(b, start, pos, 1))
        elif fields == 2 and field == 2 or fields == 4 and field == 4:
            _expect(key & 7, 0)
            _varint(b, &pos, end, &number)
        elif fields == 4 and (field == 1 or field == 2):
            _expect(key & 7, 2)
            _length(b, &pos, end, &start)
            _text(b, start, pos)
        else:
            raise Fallback("unknown field")
    return holder


cdef str _scope_name(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end):
    cdef uint64_t key = 0, field, number = 0
    cdef Py_ssize_t start
    cdef str name = ""
    while pos < end:
        _varint(b, &pos, end, &key)
        field = key >> 3
        if field == 1 or field == 2:
            _expect(key & 7, 2)
            _length(b, &pos, end, &start)
            text = _text(b, start, pos)
            if field == 1:
                name = text
        elif field == 3:
            _expect(key & 7, 2)
            _length(b, &pos, end, &start)
            _kv_message(b, start, pos, 1)  # read to check it, as protobuf does
        elif field == 4:
            _expect(key & 7, 0)
            _varint(b, &pos, end, &number)
        else:
            raise Fallback("unknown InstrumentationScope field")
    return name


cdef int _check_link(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end) except -1:
    """Links are not stored; read one only to refuse what protobuf refuses."""
    cdef uint64_t key = 0, field, number = 0
    cdef Py_ssize_t start
    while pos < end:
        _varint(b, &pos, end, &key)
        field = key >> 3
        if field == 1 or field == 2 or field == 3 or field == 4:
            _expect(key & 7, 2)
            _length(b, &pos, end, &start)
            if field == 3:
                _text(b, start, pos)
            elif field == 4:
                _kv_message(b, start, pos, 1)
        elif field == 5:
            _expect(key & 7, 0)
            _varint(b, &pos, end, &number)
        elif field == 6:
            _expect(key & 7, 5)
            _skip_fixed32(&pos, end)
        else:
            raise Fallback("unknown Link field")
    return 0


cdef _Event _event(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end):
    cdef _Event event = _Event.__new__(_Event)
    cdef uint64_t key = 0, field, number = 0
    cdef Py_ssize_t start
    event.name = ""
    event.time_unix_nano = 0
    event.attributes = []
    while pos < end:
        _varint(b, &pos, end, &key)
        field = key >> 3
        if field == 1:
            _expect(key & 7, 1)
            event.time_unix_nano = _fixed64(b, &pos, end)
        elif field == 2:
            _expect(key & 7, 2)
            _length(b, &pos, end, &start)
            event.name = _text(b, start, pos)
        elif field == 3:
            _expect(key & 7, 2)
            _length(b, &pos, end, &start)
            event.attributes.append(_kv_message(b, start, pos, 1))
        elif field == 4:
            _expect(key & 7, 0)
            _varint(b, &pos, end, &number)
        else:
            raise Fallback("unknown Event field")
    return event


cdef class _Named:
    """What ``_Run.reject`` reads of a span."""
    cdef readonly str name


# ---------------------------------------------------------------- normalize

def normalize_protobuf(bytes body, str project_id, object now_ns, object limits):
    """``normalize(ExportTraceServiceRequest.FromString(body), ...)``, compiled; raises
    ``Fallback`` for bodies it leaves to the protobuf runtime."""
    cdef const unsigned char* b = <const unsigned char*>PyBytes_AS_STRING(body)
    cdef Py_ssize_t end = PyBytes_GET_SIZE(body)
    cdef Py_ssize_t pos = 0, start, rs_end, start2, ss_end
    cdef uint64_t key = 0, field
    run = _Run(project_id, now_ns, limits)
    while pos < end:
        _varint(b, &pos, end, &key)
        if key != 10:
            raise Fallback("unknown ExportTraceServiceRequest field")
        _length(b, &pos, end, &start)
        _resource_spans(b, start, pos, run)
    return run.batch


cdef int _resource_spans(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end,
                         object run) except -1:
    cdef uint64_t key = 0, field
    cdef Py_ssize_t start
    cdef Py_ssize_t resource_start = -1, resource_stop = -1
    cdef _Attributes holder
    cdef list scopes = []
    while pos < end:
        _varint(b, &pos, end, &key)
        field = key >> 3
        _expect(key & 7, 2)
        _length(b, &pos, end, &start)
        if field == 1:
            if resource_start >= 0:
                raise Fallback("two resources")
            resource_start, resource_stop = start, pos
        elif field == 2:
            scopes.append((start, pos))
        elif field == 3:
            _text(b, start, pos)
        else:
            raise Fallback("unknown ResourceSpans field")
    if resource_start >= 0:
        holder = _attribute_holder(b, resource_start, resource_stop, 2)
    else:
        holder = _Attributes.__new__(_Attributes)
        holder.attributes = []
    resource = _Resource(holder, run.limits)
    for start, stop in scopes:
        _scope_spans(b, start, stop, resource, run)
    return 0


cdef int _scope_spans(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end,
                      object resource, object run) except -1:
    cdef uint64_t key = 0, field
    cdef Py_ssize_t start
    cdef str scope_name = ""
    cdef bint scoped = False
    cdef list spans = []
    while pos < end:
        _varint(b, &pos, end, &key)
        field = key >> 3
        _expect(key & 7, 2)
        _length(b, &pos, end, &start)
        if field == 1:
            if scoped:
                raise Fallback("two scopes")
            scoped = True
            scope_name = _scope_name(b, start, pos)
        elif field == 2:
            spans.append((start, pos))
        elif field == 3:
            _text(b, start, pos)
        else:
            raise Fallback("unknown ScopeSpans field")
    scope_name = bounded(scope_name, run.limits.max_name_chars)
    _append_spans(b, spans, scope_name, resource, run)
    return 0


cdef int _append_spans(const unsigned char* b, list spans, str scope_name, object resource,
                       object run) except -1:
    """The compiled twin of ``_normalize._append_spans``: keep the two in step."""
    batch = run.batch
    out = batch.spans
    limits = run.limits
    cdef str project_id = run.project_id
    now_ns = run.now_ns
    cdef Py_ssize_t max_chars = limits.max_attribute_chars
    cdef Py_ssize_t max_content = limits.max_content_chars
    cdef Py_ssize_t max_attributes = limits.max_attributes
    max_events = limits.max_events
    max_event_attributes = limits.max_event_attributes
    cdef Py_ssize_t max_key = limits.max_key_chars
    cdef Py_ssize_t max_tags = limits.max_tags
    cdef Py_ssize_t max_label = limits.max_label_chars
    cdef Py_ssize_t max_name = limits.max_name_chars
    cdef Py_ssize_t max_status = limits.max_status_message_chars
    earliest_ns = run.earliest_ns
    latest_ns = run.latest_ns
    cdef Py_ssize_t resource_chars = resource.chars
    service_name = resource.service_name
    environment = resource.environment
    resource_keys = resource.keys
    resource_values = resource.values
    cdef Py_ssize_t resource_count = len(resource_keys)
    max_tokens = limits.max_tokens
    max_cost = limits.max_cost_usd
    cdef Py_ssize_t expanded = run.expanded, max_expanded = limits.max_expanded_chars

    cdef list project_ids = out.project_id, trace_ids = out.trace_id, span_ids = out.span_id
    cdef list parent_ids = out.parent_span_id, names = out.name, kinds = out.kind
    cdef list services = out.service_name, scopes = out.scope_name
    cdef list environments = out.environment, starts = out.start_time, ends = out.end_time
    cdef list durations = out.duration_ms, status_codes = out.status_code
    cdef list status_messages = out.status_message, span_types = out.span_type
    cdef list models = out.model, providers = out.provider
    cdef list input_tokens_ = out.input_tokens, output_tokens_ = out.output_tokens
    cdef list cache_reads = out.cache_read_tokens, cache_writes = out.cache_write_tokens
    cdef list reasoning = out.reasoning_tokens, costs = out.cost_usd
    cdef list ttfts = out.time_to_first_token_ms, finish_reasons = out.finish_reason
    cdef list tool_names = out.tool_name, session_ids = out.session_id
    cdef list user_ids = out.user_id, inputs = out.input, outputs = out.output
    cdef list events_ = out.events, ingested = out.ingested_at
    cdef list tag_values = out.tags, tag_counts = out.tag_counts
    cdef list attribute_keys = out.attribute_keys, attribute_values = out.attribute_values
    cdef list attribute_counts = out.attribute_counts
    cdef list res_keys = out.resource_keys, res_values = out.resource_values
    cdef list res_counts = out.resource_counts

    cdef Py_ssize_t pos, end, start, ks, ke, vs, ve
    cdef Py_ssize_t trace_at, trace_len, span_at, span_len, parent_at, parent_len
    cdef Py_ssize_t n_attributes
    cdef uint64_t key = 0, field, number = 0, start_ns, end_ns
    cdef int32_t kind, status_code
    cdef bint has_status
    cdef dict attributes, found, ranks, tags
    cdef set extra_tags
    cdef dict invalid
    cdef list events
    cdef str text, span_name, status_message, name
    cdef object value, role, indexed, rank

    for span_range in spans:
        pos, end = span_range
        trace_at = trace_len = span_at = span_len = parent_at = parent_len = 0
        start_ns = end_ns = 0
        kind = 0
        status_code = 0
        status_message = ""
        has_status = False
        span_name = ""
        events = None
        n_attributes = 0
        attributes = {}
        found = {}
        ranks = {}
        tags = {}  # insertion-ordered set
        extra_tags = None  # distinct tags past max_tags
        invalid = {}  # canonical fields whose value was dropped
        indexed = None

        while pos < end:
            _varint(b, &pos, end, &key)
            field = key >> 3
            if field == 9:
                # ---- an attribute: the map, and the canonical field it feeds ----
                _expect(key & 7, 2)
                _length(b, &pos, end, &start)
                n_attributes += 1
                _key_value(b, start, pos, 1, &ks, &ke, &vs, &ve)
                name, role = _key_role(b, ks, ke)
                value = _any_value(b, vs, ve, 2) if vs >= 0 else None
                if type(value) is str:
                    text = <str>value
                elif type(value) is int:
                    text = str(value)
                else:
                    text = to_text(value)
                if len(name) > max_key:  # no convention's key is this long: the map only
                    attributes[bounded(name, max_key)] = bounded(text, max_chars)
                    continue
                attributes[name] = text if len(text) <= max_chars else bounded(text, max_chars)
                if role is _PLAIN:
                    continue
                if role is _TAG:
                    for tag in as_str_list(value):
                        if len(tags) < max_tags:
                            tags[tag if len(tag) <= max_label else bounded(tag, max_label)] = None
                        elif tag not in tags:
                            if extra_tags is None:
                                extra_tags = set()
                            extra_tags.add(tag)
                elif role is _INDEXED:
                    if indexed is None:
                        indexed = IndexedMessages()
                    indexed.add(name, value)
                else:
                    field_name, rank, convert = role
                    if rank < ranks.get(field_name, _NO_RANK):
                        if convert is _as_int and type(value) is int:
                            converted = value if 0 <= value <= _MAX_INT else None
                        elif convert is _as_text and type(value) is str:
                            converted = value or None
                        else:
                            converted = convert(value)
                        if converted is not None:
                            found[field_name] = converted
                            ranks[field_name] = rank
                        elif field_name in _CHECKED_FIELDS:
                            invalid[field_name] = None
            elif field == 1 or field == 2 or field == 4:
                _expect(key & 7, 2)
                _length(b, &pos, end, &start)
                if field == 1:
                    trace_at, trace_len = start, pos - start
                elif field == 2:
                    span_at, span_len = start, pos - start
                else:
                    parent_at, parent_len = start, pos - start
            elif field == 5:
                _expect(key & 7, 2)
                _length(b, &pos, end, &start)
                span_name = _text(b, start, pos)
            elif field == 7:
                _expect(key & 7, 1)
                start_ns = _fixed64(b, &pos, end)
            elif field == 8:
                _expect(key & 7, 1)
                end_ns = _fixed64(b, &pos, end)
            elif field == 6:
                _expect(key & 7, 0)
                _varint(b, &pos, end, &number)
                kind = <int32_t>number
            elif field == 11:
                _expect(key & 7, 2)
                _length(b, &pos, end, &start)
                if events is None:
                    events = []
                events.append(_event(b, start, pos))
            elif field == 15:
                _expect(key & 7, 2)
                _length(b, &pos, end, &start)
                if has_status:
                    raise Fallback("two statuses")  # protobuf merges them
                has_status = True
                status_code, status_message = _status(b, start, pos)
            elif field == 3:
                _expect(key & 7, 2)
                _length(b, &pos, end, &start)
                _text(b, start, pos)
            elif field == 13:
                _expect(key & 7, 2)
                _length(b, &pos, end, &start)
                _check_link(b, start, pos)
            elif field == 10 or field == 12 or field == 14:
                _expect(key & 7, 0)
                _varint(b, &pos, end, &number)
            elif field == 16:
                _expect(key & 7, 5)
                _skip_fixed32(&pos, end)
            else:
                raise Fallback("unknown Span field")

        # ---- ids and times ----
        if trace_len != 16 or _all_zero(b, trace_at, 16):
            run.reject(_named(span_name),
                       f"trace_id must be 16 bytes, not all zero (got {trace_len})")
            continue
        if span_len != 8 or _all_zero(b, span_at, 8):
            run.reject(_named(span_name),
                       f"span_id must be 8 bytes, not all zero (got {span_len})")
            continue
        if parent_len and parent_len != 8:
            run.reject(_named(span_name),
                       f"parent_span_id must be empty or 8 bytes (got {parent_len})")
            continue
        start_py = start_ns
        end_py = end_ns
        if not earliest_ns <= start_py <= latest_ns or end_py > latest_ns:
            run.reject(_named(span_name), _time_problem(start_py, end_py, run))
            continue
        trace_hex = _hex(b, trace_at, 16)
        span_hex = _hex(b, span_at, 8)

        if len(attributes) > max_attributes:
            attributes = _first(attributes, max_attributes, n_attributes)
        if extra_tags:
            attributes[DROPPED_TAGS_KEY] = str(len(extra_tags))
        if found and _maybe_absurd(found, max_tokens, max_cost):
            _drop_absurd(found, ranks, limits, invalid)
        if invalid:
            attributes[INVALID_VALUES_KEY] = ",".join(invalid)

        # ---- events: evaluations, exception, event-borne content ----
        if events:
            span_events = read_events(
                events,
                project_id=project_id,
                trace_id=trace_hex,
                span_id=span_hex,
                max_events=max_events,
                max_attributes=max_event_attributes,
                max_chars=max_chars,
            )
            if span_events.evaluations:
                late = max(row.created_at for row in span_events.evaluations)
                if late > latest_ns:
                    run.reject(_named(span_name),
                               f"an evaluation event's time ({late} ns) is in the future")
                    continue
                batch.evaluations.extend(span_events.evaluations)
        else:
            span_events = _EMPTY_EVENTS

        # ---- content ----
        if ("input" in found and "output" in found and indexed is None
                and span_events is _EMPTY_EVENTS):
            input_text = found["input"]
            output_text = found["output"]
            finish_reason = ""
            if "system_instructions" in found and ranks["input"] == 1:
                input_text = with_system_instructions(input_text, found["system_instructions"])
        else:
            input_text, output_text, finish_reason = _content(found, ranks, indexed, span_events)
        if input_text:
            _drop_copy(attributes, _INPUT_KEYS.get(ranks.get("input", _NO_RANK)), input_text,
                       max_chars)
        if output_text:
            _drop_copy(attributes, _OUTPUT_KEYS.get(ranks.get("output", _NO_RANK)), output_text,
                       max_chars)

        # ---- tokens, span type, cost ----
        model = found.get("model", "")
        if len(model) > max_label:  # before pricing looks it up
            model = bounded(model, max_label)
        input_tokens = found.get("input_tokens", 0)
        output_tokens = found.get("output_tokens", 0)
        cache_read = found.get("cache_read_tokens", 0)
        cache_write = found.get("cache_write_tokens", 0)
        if not input_tokens and "total_tokens" in found and found["total_tokens"] > output_tokens:
            input_tokens = found["total_tokens"] - output_tokens
        if cache_read + cache_write > input_tokens:
            input_tokens += cache_read + cache_write

        span_type = found.get("span_type")
        if span_type is None:
            llm_like = model and (input_tokens or output_tokens or input_text or output_text)
            span_type = "llm" if llm_like else "other"

        provider = found.get("provider", "")
        if len(provider) > max_label:
            provider = bounded(provider, max_label)
        cost = found.get("cost_usd")
        if cost == 0 and (input_tokens or output_tokens):
            cost = None  # a reported 0 for a call with tokens: no price was known
        if cost is None and model and (input_tokens or output_tokens):
            cost = compute_cost(
                provider,
                model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cache_read,
                cache_write_tokens=cache_write,
                at_ns=start_py,
            )
            if cost is None and status_code != 2:  # failed calls are not "unpriced"
                batch.unpriced += 1

        tool_name = found.get("tool_name", "")
        if not tool_name and span_type == "tool":
            tool_name = found.get("entity_name", "")

        if status_code == 2 and not status_message:
            status_message = span_events.exception
        session_id = found.get("session_id", "")
        user_id = found.get("user_id", "")
        finish_reason = found.get("finish_reason", "") or finish_reason
        if input_text and len(input_text) > max_content:
            input_text = bounded(input_text, max_content)
        if output_text and len(output_text) > max_content:
            output_text = bounded(output_text, max_content)
        if (
            len(span_name) > max_name
            or len(status_message) > max_status
            or len(session_id) > max_label
            or len(user_id) > max_label
            or len(tool_name) > max_label
            or len(finish_reason) > max_label
        ):
            span_name = bounded(span_name, max_name)
            status_message = bounded(status_message, max_status)
            session_id = bounded(session_id, max_label)
            user_id = bounded(user_id, max_label)
            tool_name = bounded(tool_name, max_label)
            finish_reason = bounded(finish_reason, max_label)
        if invalid:
            batch.invalid_values += len(invalid)
        chars = resource_chars + len(input_text) + len(output_text)
        chars += len(span_events.json) + len(status_message)
        for k, v in attributes.items():
            chars += len(<str>k) + len(<str>v)
        expanded += chars
        if expanded > max_expanded:
            run.expanded = expanded - chars
            run.spend(chars, resource)  # raises PayloadTooLarge, as the reference does
        run.expanded = expanded

        # ---- append: one value per column ----
        project_ids.append(project_id)
        trace_ids.append(trace_hex)
        span_ids.append(span_hex)
        if parent_len and not _all_zero(b, parent_at, 8):
            parent_ids.append(_hex(b, parent_at, 8))
        else:
            parent_ids.append("")
        names.append(span_name)
        kinds.append(_KINDS[kind] if 0 <= kind < len(_KINDS) else "UNSPECIFIED")
        services.append(service_name)
        scopes.append(scope_name)
        environments.append(environment)
        starts.append(start_py)
        ends.append(end_py)
        durations.append((end_py - start_py) / 1e6 if end_ns > start_ns else 0.0)
        status_codes.append(_STATUSES[status_code] if 0 <= status_code < 3 else "UNSET")
        status_messages.append(status_message)
        span_types.append(span_type)
        models.append(model)
        providers.append(provider)
        input_tokens_.append(input_tokens)
        output_tokens_.append(output_tokens)
        cache_reads.append(cache_read)
        cache_writes.append(cache_write)
        reasoning.append(found.get("reasoning_tokens", 0))
        costs.append(cost)
        ttft = found.get("time_to_first_token_ms")
        if ttft is None and span_events.first_token_ns > start_py:
            ttft = (span_events.first_token_ns - start_py) / 1e6
        ttfts.append(ttft)
        finish_reasons.append(finish_reason)
        tool_names.append(tool_name)
        session_ids.append(session_id)
        user_ids.append(user_id)
        inputs.append(input_text)
        outputs.append(output_text)
        events_.append(span_events.json)
        ingested.append(now_ns)
        tag_values.extend(tags)
        tag_counts.append(len(tags))
        attribute_keys.extend(attributes)
        attribute_values.extend(attributes.values())
        attribute_counts.append(len(attributes))
        res_keys.extend(resource_keys)
        res_values.extend(resource_values)
        res_counts.append(resource_count)
    return 0


cdef inline bint _maybe_absurd(dict found, object max_tokens, object max_cost):
    """Whether ``_drop_absurd`` could drop anything (it is called only then)."""
    for name in _TOKEN_FIELDS:
        count = found.get(name)
        if count is not None and count > max_tokens:
            return True
    cost = found.get("cost_usd")
    if cost is not None and not 0.0 <= cost <= max_cost:
        return True
    ttft = found.get("time_to_first_token_ms")
    return ttft is not None and ttft < 0


cdef tuple _status(const unsigned char* b, Py_ssize_t pos, Py_ssize_t end):
    """A Status: (code, message)."""
    cdef uint64_t key = 0, field, number = 0
    cdef Py_ssize_t start
    cdef int32_t code = 0
    cdef str message = ""
    while pos < end:
        _varint(b, &pos, end, &key)
        field = key >> 3
        if field == 2:
            _expect(key & 7, 2)
            _length(b, &pos, end, &start)
            message = _text(b, start, pos)
        elif field == 3:
            _expect(key & 7, 0)
            _varint(b, &pos, end, &number)
            code = <int32_t>number
        else:
            raise Fallback("unknown Status field")
    return code, message


cdef _Named _named(str name):
    cdef _Named named = _Named.__new__(_Named)
    named.name = name
    return named


import sys as _sys

if _sys.byteorder != "little":  # fixed64 fields are read with memcpy
    raise ImportError("the compiled OTLP reader needs a little-endian host")
