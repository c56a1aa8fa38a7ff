package openqq

import "botgate/app/channel"

// fields are the channel form's boxes, in Keys order.
var fields = []channel.Field{
	{Key: "url", Label: "Openqq 地址", Kind: channel.FieldText, Required: true, Example: "http://127.0.0.1:5000",
		Help: "Mojo-Webqq 加载 Openqq 插件时 listen 的地址和端口（启动脚本中 listen=>[{host=>…, port=>5000}]）；同一台电脑上填 127.0.0.1"},
	{Key: "secret", Label: "上报密钥", Kind: channel.FieldSecret, Example: "自己设一串字母数字",
		Help: "可选。Mojo-Webqq 在另一台电脑上时才需要：在 post_api 上报地址后加 ?secret=这串密钥；留空时只接受本机的上报。不发送给 Openqq"},
	{Key: "api", Label: "接口版本", Kind: channel.FieldChoice, Default: apiAuto,
		Help: "一般选“自动识别”：第一次发私聊消息时看 Mojo-Webqq 有没有 2.x 的 send_friend_message 接口，记住结果。确定版本时可直接选",
		Choices: []channel.Choice{
			{Value: apiAuto, Label: "自动识别（推荐）"},
			{Value: apiV2, Label: "Mojo-Webqq 2.x（send_friend_message，uid 为 QQ 号）"},
			{Value: apiV1, Label: "旧版 Openqq（send_message，qq 为 QQ 号）"},
		}},
}
