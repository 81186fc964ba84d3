// SPDX-License-Identifier: GPL-3.0-or-later
//
// The validate_doc_update of a Meridian team hub on Apache CouchDB
// (installed as _design/meridian by `meridian hub setup`). It enforces on
// the hub what every Meridian replica enforces locally (src/core/
// mer-validate.c): the data contract's shapes, decisions that are never
// rewritten, plus who may write what. A CouchDB user NAME is the person
// "person:NAME". Server admins (role _admin) and the database's admins
// (names or roles in _security.admins) may edit anything but decisions.
//
// Attachments: CouchDB hands this function every attachment as a stub; one
// carried over from the previous revision has its digest, one uploaded by
// this write has none yet (CouchDB computes it after validation). So a
// name with no digest, or with another digest than in oldDoc, is new bytes.
function (newDoc, oldDoc, userCtx, secObj) {
  var TYPES = ['page', 'person', 'proposal', 'comment', 'decision', 'seen'];
  var MAX_ATTACHMENTS = 1000;
  var MAX_NAME_BYTES = 255;
  var MAX_TYPE_BYTES = 255;
  var WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  var roles = userCtx.roles || [];
  var me = userCtx.name ? 'person:' + userCtx.name : null;
  var id = newDoc._id;

  function forbid(reason) {
    throw { forbidden: id + ': ' + reason };
  }

  function has(list, value) {
    return list.indexOf(value) !== -1;
  }

  function isAdmin() {
    var admins = (secObj && secObj.admins) || {};
    var i;

    if (has(roles, '_admin'))
      return true;
    if (userCtx.name && admins.names && has(admins.names, userCtx.name))
      return true;
    for (i = 0; admins.roles && i < admins.roles.length; i++)
      if (has(roles, admins.roles[i]))
        return true;
    return false;
  }

  function isString(value) {
    return typeof value === 'string';
  }

  // JSON equality, whatever the order of members.
  function same(a, b) {
    var keys, i;

    if (a === b)
      return true;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
      return false;
    if (Array.isArray(a) !== Array.isArray(b))
      return false;
    keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length)
      return false;
    for (i = 0; i < keys.length; i++)
      if (!Object.prototype.hasOwnProperty.call(b, keys[i]) || !same(a[keys[i]], b[keys[i]]))
        return false;
    return true;
  }

  // The members that are not CouchDB's own (those start with "_").
  function body(doc) {
    var out = {};
    var key;

    for (key in doc)
      if (key.charAt(0) !== '_')
        out[key] = doc[key];
    return out;
  }

  // The length of a string in UTF-8, as CouchDB and the replicas count it.
  function utf8Length(text) {
    var n = 0;
    var i, c, next;

    for (i = 0; i < text.length; i++) {
      c = text.charCodeAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          n += 4;
          i++;
        } else {
          n += 3;
        }
      } else {
        n += 3;
      }
    }
    return n;
  }

  // The names and shapes every replica also demands of attachments: a
  // name a file system and a person can both take, a bounded map.
  function checkAttachments(atts) {
    var count = 0;
    var name, i, c, type;

    if (atts === undefined || atts === null)
      return;
    if (typeof atts !== 'object' || Array.isArray(atts))
      forbid('_attachments must be an object');
    for (name in atts) {
      count++;
      if (count > MAX_ATTACHMENTS)
        forbid('a document may carry at most ' + MAX_ATTACHMENTS + ' attachments');
      if (name === '')
        forbid('an attachment name must not be empty');
      if (utf8Length(name) > MAX_NAME_BYTES)
        forbid('an attachment name must be at most ' + MAX_NAME_BYTES + ' bytes');
      if (name.charAt(0) === '/')
        forbid('an attachment name must not start with "/": ' + name);
      if (name.indexOf('..') !== -1)
        forbid('an attachment name must not contain "..": ' + name);
      if (name.indexOf('\u0000') !== -1)
        forbid('an attachment name must not contain NUL');
      for (i = 0; i < name.length; i++) {
        c = name.charCodeAt(i);
        if (c < 0x20 || c === 0x7f)
          forbid('an attachment name must not contain control characters');
      }
      type = atts[name] && atts[name].content_type;
      if (type !== undefined && type !== null
          && (!isString(type) || utf8Length(type) > MAX_TYPE_BYTES))
        forbid('the content_type of attachment ' + name + ' must be a string of at most '
               + MAX_TYPE_BYTES + ' bytes');
    }
  }

  // What a write does to the attachments of oldDoc: names added, removed,
  // and replaced (another digest, or bytes uploaded again).
  function attachmentChanges(before, after) {
    var out = { added: [], removed: [], replaced: [] };
    var name, a, b;

    before = before || {};
    after = after || {};
    for (name in after) {
      if (!Object.prototype.hasOwnProperty.call(before, name)) {
        out.added.push(name);
      } else {
        a = before[name];
        b = after[name];
        if (!b || !isString(b.digest) || !a || b.digest !== a.digest)
          out.replaced.push(name);
      }
    }
    for (name in before)
      if (!Object.prototype.hasOwnProperty.call(after, name))
        out.removed.push(name);
    return out;
  }

  function clock(text) {
    var m = isString(text) && /^([0-9]{2}):([0-9]{2})$/.exec(text);
    var h, min;

    if (!m)
      return -1;
    h = parseInt(m[1], 10);
    min = parseInt(m[2], 10);
    if (min > 59 || h > 24 || (h === 24 && min !== 0))
      return -1;
    return h * 60 + min;
  }

  function checkWeek(name) {
    var week = newDoc[name];
    var reason = name + ' must map weekdays (mon … sun) to lists of ["HH:MM", "HH:MM"] ranges';
    var day, i, range, from, to;

    if (week === undefined || week === null)
      return;
    if (typeof week !== 'object' || Array.isArray(week))
      forbid(reason);
    for (day in week) {
      if (!has(WEEKDAYS, day) || !Array.isArray(week[day]))
        forbid(reason);
      for (i = 0; i < week[day].length; i++) {
        range = week[day][i];
        if (!Array.isArray(range) || range.length !== 2)
          forbid(reason);
        from = clock(range[0]);
        to = clock(range[1]);
        if (from < 0 || to < 0 || from >= to)
          forbid(reason);
      }
    }
  }

  var colon = id.indexOf(':');
  var idType = colon > 0 && has(TYPES, id.substring(0, colon)) ? id.substring(0, colon) : null;
  var admin = isAdmin();

  if (!admin && has(roles, 'meridian-ro'))
    forbid('this account is read-only on the hub');

  if (newDoc._deleted) {
    if (idType === 'decision')
      forbid('decisions are never deleted; write a new decision that supersedes it');
    if (!admin && idType === 'comment' && oldDoc && oldDoc.author !== me)
      forbid('only its author may delete a comment');
    if (!admin && idType === 'person' && id !== me)
      forbid('only that person may delete their own person document');
    return;
  }

  if (id.indexOf('_design/') !== 0)
    checkAttachments(newDoc._attachments);

  if (idType !== null && newDoc.type !== idType)
    forbid('the type field must be "' + idType + '"');
  if (idType === null && has(TYPES, newDoc.type))
    forbid('the id of a ' + newDoc.type + ' must start with "' + newDoc.type + ':"');
  if (idType === null)
    return;  // other clients' documents are stored as they come

  if (idType === 'page') {
    if (!isString(newDoc.title) || !isString(newDoc.path) || !isString(newDoc.body))
      forbid('a page needs string title, path and body');
    if (!admin && oldDoc && !oldDoc._deleted && !same(oldDoc.owner, newDoc.owner)
        && oldDoc.owner !== me)
      forbid("only the page's owner or an admin may change its owner");
  } else if (idType === 'person') {
    if (!isString(newDoc.tz) || newDoc.tz === '')
      forbid('a person needs a time zone string "tz"');
    checkWeek('work');
    checkWeek('focus');
    if (!admin && id !== me && oldDoc && !oldDoc._deleted) {
      var schedule = ['tz', 'work', 'focus', 'away', 'focus_until', 'status_note'];
      var i;

      for (i = 0; i < schedule.length; i++)
        if (!same(oldDoc[schedule[i]], newDoc[schedule[i]]))
          forbid("only that person may change their schedule (" + schedule[i] + ")");
    }
  } else if (idType === 'proposal') {
    if (!has(['open', 'accepted', 'rejected', 'withdrawn'], newDoc.status))
      forbid("a proposal's status must be open, accepted, rejected or withdrawn");
  } else if (idType === 'comment') {
    if (!isString(newDoc.on) || newDoc.on === '' || !isString(newDoc.author) || !isString(newDoc.body))
      forbid('a comment needs string on, author and body');
    if (newDoc.stance !== undefined && newDoc.stance !== null
        && !has(['agree', 'concern', 'object'], newDoc.stance))
      forbid("a comment's stance must be null, agree, concern or object");
    if (!admin && newDoc.author !== me)
      forbid('a comment (and its stance) may only be written by its author, ' + me);
    if (!admin && oldDoc && !oldDoc._deleted && oldDoc.author !== me)
      forbid('only its author may edit a comment');
    // An admin may take a file off someone's comment, never put one on.
    if (admin && newDoc.author !== me) {
      var changes = attachmentChanges(oldDoc && !oldDoc._deleted ? oldDoc._attachments : null,
                                      newDoc._attachments);

      if (changes.added.length > 0 || changes.replaced.length > 0)
        forbid("only the comment's author, " + newDoc.author + ', may attach files to it ('
               + changes.added.concat(changes.replaced).join(', ') + ')');
    }
  } else if (idType === 'decision') {
    if (!has(['accepted', 'rejected', 'superseded'], newDoc.status))
      forbid("a decision's status must be accepted, rejected or superseded");
    // A replica may repeat a decision unchanged, never change it.
    if (oldDoc && !oldDoc._deleted && !same(body(oldDoc), body(newDoc)))
      forbid('decisions are never edited; write a new decision that supersedes it');
    if (oldDoc && !oldDoc._deleted) {
      var atts = attachmentChanges(oldDoc._attachments, newDoc._attachments);

      if (atts.added.length > 0)
        forbid("a decision's attachments never change: " + atts.added.join(', ')
               + ' would be added; write a new decision that supersedes it');
      if (atts.removed.length > 0)
        forbid("a decision's attachments never change: " + atts.removed.join(', ')
               + ' would be removed; write a new decision that supersedes it');
      if (atts.replaced.length > 0)
        forbid("a decision's attachments never change: " + atts.replaced.join(', ')
               + ' would be replaced; write a new decision that supersedes it');
    }
  } else if (idType === 'seen') {
    if (!isString(newDoc.person) || !isString(newDoc.doc))
      forbid('a seen record needs string person and doc');
  }
}
