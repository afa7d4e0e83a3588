package app

import (
	"context"
	"fmt"

	barong "github.com/barong-go/barong"
)

// AdminCreateComment is POST /admin/users/comments: a note on the user uid
// whose author is admin; it returns the user's KYC view. Errors: 422
// admin.comments.title_too_long, admin.comments.data_too_long; 404
// admin.user.doesnt_exist.
func (s *Users) AdminCreateComment(ctx context.Context, actor barong.Actor, uid, title, data string) (*AdminUser, error) {
	if err := s.mayAdmin(ctx, actor, actUpdate, modelUser); err != nil {
		return nil, err
	}
	admin := actor.User
	if err := checkComment(&title, &data); err != nil {
		return nil, err
	}
	u, err := s.findTarget(ctx, s.store, uid)
	if err != nil {
		return nil, err
	}
	c := &barong.Comment{UserID: u.ID, AuthorUID: admin.UID, Title: title, Data: data}
	err = s.inTx(ctx, func(tx *txn) error {
		if err := tx.CreateComment(ctx, c); err != nil {
			return fmt.Errorf("create comment: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.adminUser(ctx, u)
}

// KeyAdminCommentNotAuthor answers an admin who may not change another
// admin's comment (422).
const KeyAdminCommentNotAuthor = "admin.comments.not_author"

// AdminUpdateComment is PUT /admin/users/comments: it changes the sent
// title and data of comment id and returns the KYC view of the comment's
// user. Only the author edits his comment: the comment keeps his uid, and
// Barong let any admin rewrite it in his name. Errors: 422
// admin.comments.*_too_long, admin.comments.not_author; 404
// record.not_found.
func (s *Users) AdminUpdateComment(ctx context.Context, actor barong.Actor, id int64, title, data *string) (*AdminUser, error) {
	if err := s.mayAdmin(ctx, actor, actUpdate, modelUser); err != nil {
		return nil, err
	}
	admin := actor.User
	if err := checkComment(title, data); err != nil {
		return nil, err
	}
	var userID int64
	err := s.inTx(ctx, func(tx *txn) error {
		c, err := tx.CommentByID(ctx, id)
		if err != nil {
			return commentNotFound(err)
		}
		if c.AuthorUID != admin.UID {
			return barong.Invalid(KeyAdminCommentNotAuthor)
		}
		userID = c.UserID
		if title != nil {
			c.Title = *title
		}
		if data != nil {
			c.Data = *data
		}
		if err := tx.UpdateComment(ctx, c); err != nil {
			return fmt.Errorf("update comment: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.adminUserByID(ctx, userID)
}

// AdminDeleteComment is DELETE /admin/users/comments: it deletes comment id
// and returns the KYC view of its user. Another admin's comment is deleted
// only by an admin who may change its author (see covers; an author gone
// since does not protect it). Errors: 404 record.not_found; 422
// admin.comments.not_author.
func (s *Users) AdminDeleteComment(ctx context.Context, actor barong.Actor, id int64) (*AdminUser, error) {
	if err := s.mayAdmin(ctx, actor, actUpdate, modelUser); err != nil {
		return nil, err
	}
	admin := actor.User
	var userID int64
	err := s.inTx(ctx, func(tx *txn) error {
		c, err := tx.CommentByID(ctx, id)
		if err != nil {
			return commentNotFound(err)
		}
		if c.AuthorUID != admin.UID {
			author, err := tx.UserByUID(ctx, c.AuthorUID)
			switch {
			case err == nil && !s.covers(admin.Role, author.Role):
				return barong.Invalid(KeyAdminCommentNotAuthor)
			case err != nil && !isNotFound(err):
				return fmt.Errorf("load comment author: %w", err)
			}
		}
		userID = c.UserID
		if err := tx.DeleteComment(ctx, id); err != nil {
			return fmt.Errorf("delete comment: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.adminUserByID(ctx, userID)
}
